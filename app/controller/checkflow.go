package controller

import (
	"context"
	"errors"

	"github.com/nhs-cpis/kiosk/app/check"
	"github.com/nhs-cpis/kiosk/cpis"
	"github.com/nhs-cpis/kiosk/spine"
	"github.com/nhs-cpis/kiosk/store"
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
	k.busy("Tracing the patient on the national register…")
	k.run(func(ctx context.Context) func() {
		pt, err := k.check.Trace(ctx, sess, nhs, p)
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
			k.showPatient(pt)
		}
	})
}

// showPatient shows the traced patient: the banner, whether the guide asks
// for a check, and the one next action (check CP-IS), or for a role
// without B0107, who can. Nothing is known of an alert until the check is
// made: the kiosk runs in unscheduled care, where the one CP-IS query is
// the access that tells the local authority.
func (k *Kiosk) showPatient(pt cpis.Patient) {
	k.v.Screen, k.v.Patient, k.v.Answers = ui.ScreenPatient, &pt, cpis.Answers{}
	k.v.Check = k.whoToCheck()
	k.v.CanOpen = k.sess != nil && k.sess.Role.Has(cpis.ViewFlag)
	k.v.Help = helpFor(ui.ScreenPatient)
	if pt.Superseded != "" {
		// PDS answered for the old number with the current one: that is
		// the number used from now on, CP-IS included.
		k.present = k.present.ForPatient(pt.NHS)
		k.v.Message = &ui.Message{Title: "This NHS number has been replaced",
			Body: "The national register replaced NHS number " + pt.Superseded.String() + " with " + pt.NHS.String() + ".",
			Next: "The current number, " + pt.NHS.String() + ", is used for the check. Correct the wristband or notes.", Warn: true}
	}
	k.askFGM(pt)
}

// askFGM asks FGM-IS about the traced patient by itself, beside the
// screen: the indicator appears when FGM-IS answers with one, for this
// patient only. When there is none, or the query fails, nothing is shown
// but the reminder that no indicator is not no risk; a failure is the
// checker's to audit and log for IT.
func (k *Kiosk) askFGM(pt cpis.Patient) {
	k.v.FGMAsked = cpis.FGMApplies(pt, k.check.Now())
	if !k.v.FGMAsked || k.sess == nil {
		return
	}
	sess, p, gen := *k.sess, k.present, k.gen
	k.run(func(ctx context.Context) func() {
		flag, _ := k.check.FGM(ctx, sess, pt, p)
		return func() {
			if gen == k.gen && flag != nil {
				k.v.FGM = &ui.FGMIndicator{Assessed: flag.Assessed, Queried: flag.Queried}
			}
		}
	})
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
	// The entry screen's number and its message stay with it.
	k.v.EntryText, k.v.Message = "", nil
	k.screen(ui.ScreenSearch)
	k.publish()
}

// Search runs a demographic search.
func (k *Kiosk) Search(q cpis.SearchQuery) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.touch()
	k.v.Search = q
	if m := needsNameAndBirth(q, "The national search needs", "search"); m != nil {
		k.v.Message = m
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
			case len(pts) == 0 && q.Postcode != "":
				// PDS matches the postcode exactly, and never returns a
				// restricted patient to a search with one.
				k.v.Message = &ui.Message{Title: "No patient found with this postcode",
					Body: "Nobody on the national register matches these details at this postcode.",
					Next: "Search again without the postcode: the register may hold an older address.", Warn: true}
			case len(pts) == 0:
				k.v.Message = &ui.Message{Title: "No patient found",
					Body: "Nobody on the national register matches these details.",
					Next: "Check the spelling and the date of birth, or ask for the NHS number.", Warn: true}
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
	k.act(func() {
		if k.v.Patient == nil || k.v.Screen != ui.ScreenPatient || k.v.Busy.Active {
			return
		}
		if k.sess != nil {
			if err := cpis.Permit(k.sess.Role, cpis.ActOpenAlert); err != nil {
				k.v.Message = MessageFor(err)
				return
			}
		}
		k.screen(ui.ScreenConfirm)
	})
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
	nhs, p, gen, at := k.v.Patient.NHS, k.present, k.gen, k.check.Now()
	k.busy("Checking CP-IS…")
	k.run(func(ctx context.Context) func() {
		alert, err := k.check.Open(ctx, sess, nhs, p)
		return func() {
			if gen != k.gen {
				return
			}
			k.v.Busy = ui.Busy{}
			var noHistory *check.HistoryError
			if err != nil && !errors.As(err, &noHistory) {
				k.v.Message = MessageFor(err)
				waiting := k.presentation(sess, p)
				// The query may have reached CP-IS: the replay reads the
				// access history before it asks again.
				waiting.Intent = &store.Intent{RoleID: sess.Role.ID, At: at}
				waiting.Why = cpis.WaitOpenFailed
				if spine.Retryable(err) && k.recordLocked(waiting) == nil {
					k.v.Message = &ui.Message{Title: "The Spine cannot be reached", Warn: true,
						Body: "The alert could not be opened. The presentation is recorded and the check will be made when the Spine is back; any alert goes to the safeguarding lead's review list.",
						Next: "Follow the downtime process for this child now."}
				}
				return
			}
			if noHistory != nil {
				// The check worked but its history did not arrive: show the
				// alert, and say what is missing. Checking again would tell
				// the local authority again, so it is not suggested.
				k.v.Message = &ui.Message{Title: "Access history not available",
					Body: "The check worked, but the list of previous accesses could not be read.",
					Next: "Act on the alert below: the history is not needed to call the local authority.", Warn: true}
			}
			k.v.Opened = &alert
			k.screen(ui.ScreenAlert)
			if len(alert.Plans) == 0 {
				k.v.Help = "No Child Care Alert. Raise any safeguarding concern through the local route. New patient clears the screen."
			}
		}
	})
}

// needsNameAndBirth is the message for details without a family name or
// date of birth, the least PDS can trace by; nil when both are there.
func needsNameAndBirth(q cpis.SearchQuery, who, again string) *ui.Message {
	if q.Family != "" && !q.BirthDate.IsZero() {
		return nil
	}
	return &ui.Message{Title: "Family name and date of birth are needed",
		Body: who + " at least the family name and the date of birth.",
		Next: "Fill in both, then " + again + " again.", Warn: true}
}
