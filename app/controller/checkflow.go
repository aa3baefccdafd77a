package controller

import (
	"context"

	"github.com/nhs-cpis/kiosk/app/check"
	"github.com/nhs-cpis/kiosk/cpis"
	"github.com/nhs-cpis/kiosk/spine"
	"github.com/nhs-cpis/kiosk/ui"
)

// TraceNHS traces the NHS number typed or scanned.
func (k *Kiosk) TraceNHS(text string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.touch()
	nhs, err := cpis.ParseNHSNumber(text)
	if err != nil {
		k.v.EntryText, k.v.Message = text, MessageFor(err)
		k.publish()
		return
	}
	k.v.EntryText = ""
	k.traceLocked(nhs)
}

// traceLocked starts a new presentation for the number. k.mu is held.
func (k *Kiosk) traceLocked(nhs cpis.NHSNumber) {
	sess, ok := k.session()
	if !ok {
		return
	}
	k.dropPatient()
	k.present = check.NewPresentation(k.check.Now()).ForPatient(nhs)
	p, gen := k.present, k.gen
	k.busy("Tracing patient and checking for a Child Care Alert…")
	k.run(func(ctx context.Context) func() {
		t, err := k.check.Trace(ctx, sess, nhs, p)
		return func() {
			if gen != k.gen {
				return
			}
			k.v.Busy = ui.Busy{}
			if err != nil {
				k.v.EntryText = nhs.String()
				k.v.Message = MessageFor(err)
				return
			}
			k.showPatient(t)
		}
	})
}

func (k *Kiosk) showPatient(t check.Traced) {
	pt := t.Patient
	k.v.Screen, k.v.Patient, k.v.Answers = ui.ScreenPatient, &pt, cpis.Answers{}
	k.v.Check = k.whoToCheck()
	k.v.CanOpen = k.sess != nil && k.sess.Role.Has(cpis.ViewFlag)
	switch {
	case t.CheckErr != nil:
		k.v.Alert = ui.AlertUnknown
		k.v.Message = MessageFor(t.CheckErr)
	case t.Present:
		k.v.Alert = ui.AlertPresent
	default:
		// The trace no longer asks CP-IS anything (no silent check in
		// unscheduled care), so it cannot say "No Child Care Alert": that
		// is for a check to say. Not known, until the redesigned flow
		// offers the check here.
		k.v.Alert = ui.AlertUnknown
	}
	k.v.Help = helpFor(ui.ScreenPatient)
}

func (k *Kiosk) whoToCheck() cpis.CheckAnswer {
	pt := k.v.Patient
	age := -1
	if !pt.BirthDate.IsZero() {
		age = pt.AgeOn(k.check.Now())
	}
	return cpis.WhoToCheck(k.check.Setting, age, pt.Gender, k.v.Answers)
}

// ShowSearch opens the search-by-details form.
func (k *Kiosk) ShowSearch() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.touch()
	k.dropPatient()
	k.screen(ui.ScreenSearch)
	k.publish()
}

// Search runs a demographic search.
func (k *Kiosk) Search(q cpis.SearchQuery) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.touch()
	k.v.Search = q
	if q.Family == "" || q.BirthDate.IsZero() {
		k.v.Message = &ui.Message{Title: "Family name and date of birth are needed",
			Body: "The national search needs at least the family name and the date of birth.",
			Next: "Fill in both, then search again.", Warn: true}
		k.publish()
		return
	}
	sess, ok := k.session()
	if !ok {
		return
	}
	gen := k.gen
	k.busy("Searching the national register…")
	k.run(func(ctx context.Context) func() {
		pts, err := k.check.Search(ctx, sess, q)
		return func() {
			if gen != k.gen {
				return
			}
			k.v.Busy = ui.Busy{}
			switch {
			case err != nil:
				k.v.Message = MessageFor(err)
			case len(pts) == 0:
				k.v.Message = &ui.Message{Title: "No patient found",
					Body: "Nobody on the national register matches these details.",
					Next: "Check the spelling and the date of birth, try without the postcode, or ask for the NHS number.", Warn: true}
			default:
				k.v.Matches = make([]ui.Match, len(pts))
				for i, p := range pts {
					k.v.Matches[i] = ui.Match{NHS: p.NHS, Name: p.Name(), BirthDate: p.BirthDate, Gender: p.Gender, Postcode: p.Postcode}
				}
				k.screen(ui.ScreenResults)
			}
		}
	})
}

// Choose traces the search match the user picked.
func (k *Kiosk) Choose(nhs cpis.NHSNumber) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.touch()
	k.traceLocked(nhs)
}

// Answer records a who-to-check answer.
func (k *Kiosk) Answer(q cpis.Question, yes bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.touch()
	if k.v.Patient == nil {
		return
	}
	answers := cpis.Answers{}
	for key, val := range k.v.Answers {
		answers[key] = val
	}
	answers[q] = yes
	k.v.Answers = answers
	k.v.Check = k.whoToCheck()
	k.publish()
}

// AskOpenAlert shows the confirmation before the notifying access.
func (k *Kiosk) AskOpenAlert() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.touch()
	if k.v.Patient == nil || k.v.Alert != ui.AlertPresent {
		return
	}
	if k.sess != nil {
		if err := cpis.Permit(k.sess.Role, cpis.ActOpenAlert); err != nil {
			k.v.Message = MessageFor(err)
			k.publish()
			return
		}
	}
	k.screen(ui.ScreenConfirm)
	k.publish()
}

// ConfirmOpenAlert opens the alert, which notifies the local authority.
func (k *Kiosk) ConfirmOpenAlert() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.touch()
	if k.v.Patient == nil || k.v.Screen != ui.ScreenConfirm || k.v.Busy.Active {
		return
	}
	sess, ok := k.session()
	if !ok {
		return
	}
	nhs, p, gen := k.v.Patient.NHS, k.present, k.gen
	k.busy("Opening the Child Care Alert…")
	k.run(func(ctx context.Context) func() {
		alert, err := k.check.Open(ctx, sess, nhs, p)
		return func() {
			if gen != k.gen {
				return
			}
			k.v.Busy = ui.Busy{}
			if err != nil && len(alert.Plans) == 0 {
				k.v.Message = MessageFor(err)
				if spine.Retryable(err) && k.recordLocked(k.presentation(sess, p)) == nil {
					// The query may have reached the Spine before the answer
					// was lost, and the local authority been told: the
					// replay asks again, and the Spine, which has no
					// idempotency key, tells it again.
					k.v.Message = &ui.Message{Title: "The Spine cannot be reached", Warn: true,
						Body: "The alert could not be opened. The presentation is recorded and the check will be made when the Spine is back; any alert goes to the safeguarding lead's review list.",
						Next: "Follow the downtime process for this child now."}
				}
				return
			}
			if err != nil {
				// The alert opened but its history did not arrive: show what
				// there is and say what is missing.
				k.v.Message = &ui.Message{Title: "Access history not available",
					Body: "The alert opened, but the list of previous accesses could not be read.",
					Next: "Read the alert below. Open it again later to see who else has seen it.", Warn: true}
			}
			k.v.Opened = &alert
			k.screen(ui.ScreenAlert)
		}
	})
}
