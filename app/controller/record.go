package controller

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/nhs-cpis/kiosk/app/check"
	"github.com/nhs-cpis/kiosk/cpis"
	"github.com/nhs-cpis/kiosk/store"
	"github.com/nhs-cpis/kiosk/ui"
)

// waitingScreens are the checks that wait: recording while the Spine is
// down, the queue and review screens, the banner's counts.
type waitingScreens struct {
	*desk
	offline  Offline
	fallback string
	kick     func()
	replayer Replayer // nil until UseReplayer
	queued   int      // entries waiting, as last counted
	// downService is the service the link last saw fail while down.
	downService string
	match       *pendingMatch // the replayer waits for the user to confirm a child
}

// Replayer is the worker that makes the checks that wait, in the name of
// the member of staff given to Use (nil: nobody, so none are made).
type Replayer interface {
	Use(s *check.Session)
	Checking() (check.Session, bool)
}

// UseReplayer connects the worker that checks the children who wait.
func (k *waitingScreens) UseReplayer(r Replayer) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.replayer = r
	k.offerLocked()
	k.publish()
}

// CheckWaiting starts the checks that wait, in the signed-in user's name:
// they agreed, having been told what each check does.
func (k *waitingScreens) CheckWaiting() {
	k.act(func() {
		if k.replayer == nil || !k.mayCheckWaiting() {
			return
		}
		k.replayer.Use(k.sess)
		k.log.WithField("role", k.sess.Role.ID).Info("checking the children who wait, in the signed-in user's name")
		k.offerLocked()
	})
}

// PauseWaiting stops the checks that wait after the one in hand.
func (k *waitingScreens) PauseWaiting() {
	k.act(func() {
		k.stopChecking()
		k.offerLocked()
	})
}

// stopChecking stops the checks that wait: the user paused, signed out,
// or the screen was locked or wiped. k.mu is held.
func (k *waitingScreens) stopChecking() {
	if k.replayer != nil {
		if _, on := k.replayer.Checking(); on {
			k.replayer.Use(nil)
		}
	}
	k.dropMatch()
}

// mayCheckWaiting reports whether the signed-in user may make the checks
// that wait: B0264 to trace and B0107 to check (guide step 12).
func (k *waitingScreens) mayCheckWaiting() bool {
	return k.sess != nil && k.sess.Role.Has(cpis.PerformTrace) && k.sess.Role.Has(cpis.ViewFlag)
}

// offerLocked sets the entry screen's offer: while children wait and the
// user may check them. k.mu is held.
func (k *waitingScreens) offerLocked() {
	k.v.Offer = nil
	if k.replayer == nil || k.queued == 0 || !k.mayCheckWaiting() {
		return
	}
	_, on := k.replayer.Checking()
	k.v.Offer = &ui.Offer{Waiting: k.queued, Checking: on, Confirm: k.match != nil}
}

// Offline is what the window needs of the offline queue and review list.
type Offline interface {
	Enqueue(p store.Presentation) (uint64, error)
	QueuePage(after uint64, limit int) ([]store.QueueRow, error)
	DeadLetterPage(after uint64, limit int) ([]store.QueueRow, error)
	Reviews(openOnly bool) ([]store.ReviewItem, error)
	SignOff(id uint64, by, role, note string, at time.Time) error
	Counts() (store.Counts, error)
}

var _ Offline = (*store.DB)(nil)

// UseOffline connects the offline queue: recording while the Spine is
// down, the queue and review screens, the banner's counts. kick is called
// after each recording so the replayer looks at the queue.
func (k *waitingScreens) UseOffline(o Offline, fallback string, kick func()) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.offline, k.fallback, k.kick = o, fallback, kick
	k.countsLocked()
	k.publish()
}

// Downtime shows or clears the downtime panel. service is the one that
// fails ("pds", "cpis"), empty for the Spine as a whole.
func (k *waitingScreens) Downtime(down bool, since time.Time, service string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.downService = ""
	if down {
		k.downService = service
	}
	// Only CP-IS is named: without PDS (or the identity service) nothing
	// can be checked, which is the Spine down as staff know it.
	name := ""
	if k.downService == "cpis" {
		name = "CP-IS"
	}
	k.v.Banner.SpineLive, k.v.Banner.SpineDown, k.v.Banner.DownService = !down, since, name
	if !down && k.v.Message != nil && k.v.Message.Good {
		// "Recorded … when the Spine is back" is done with once it is.
		k.v.Message = nil
	}
	k.v.Downtime = nil
	if down {
		k.v.Downtime = &ui.Downtime{Since: since, Service: name, Fallback: k.fallback}
	}
	k.publish()
}

// waitReason is why a presentation recorded now waits: CP-IS alone down
// while PDS answers, or the Spine. k.mu is held.
func (k *waitingScreens) waitReason() cpis.WaitReason {
	if k.downService == "cpis" {
		return cpis.WaitCPISDown
	}
	return cpis.WaitSpineDown
}

// WaitingStopped says the checks that wait stopped by themselves: the
// kiosk could not record the next check before making it, so it made
// none. From the replayer's goroutine.
func (k *waitingScreens) WaitingStopped(err error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.log.WithError(err).Error("the checks that wait stopped")
	k.dropMatch()
	k.v.Message = &ui.Message{Title: "The checks that wait have stopped",
		Body: "This computer could not save its record of the next check, so no check was made. Nothing waiting is lost.",
		Next: "Call the IT service desk: the disk may be full. Follow the downtime process for the children still waiting."}
	k.offerLocked()
	k.publish()
}

// ReplayProgress shows the replay's progress bar and refreshes the counts.
func (k *waitingScreens) ReplayProgress(done, total int) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.v.Replay = ui.Replay{Active: total > 0 && done < total, Done: done, Total: total}
	k.countsLocked()
	if k.v.Screen == ui.ScreenQueue {
		k.loadQueue()
	}
	k.publish()
}

// RecordPresentation records a patient who presented while the Spine is
// down, durably and encrypted, before saying "recorded".
func (k *waitingScreens) RecordPresentation(nhsText string, q cpis.SearchQuery) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.touch()
	sess, ok := k.session()
	if !ok || k.offline == nil {
		return
	}
	if err := cpis.Permit(sess.Role, cpis.ActTrace); err != nil {
		k.v.Message = MessageFor(err)
		k.publish()
		return
	}
	p := k.presentation(sess, check.NewPresentation(k.check.Now()))
	if nhsText != "" {
		nhs, err := cpis.ParseNHSNumber(nhsText)
		if err != nil {
			k.v.EntryText, k.v.Message = nhsText, MessageFor(err)
			k.publish()
			return
		}
		if k.present.NHS == nhs {
			// A live attempt for this patient failed: keep its key and
			// time, so a query that did reach the Spine is not repeated.
			p = k.presentation(sess, k.present)
		}
		p.NHS = nhs.Digits()
	} else {
		if m := needsNameAndBirth(q, "To be traced later, a presentation without an NHS number needs", "record"); m != nil {
			k.v.Message = m
			k.publish()
			return
		}
		p.Family, p.Given, p.BirthDate, p.Gender, p.Postcode = q.Family, q.Given, q.BirthDate, string(q.Gender), q.Postcode
		p.Check = cpis.WhoToCheck(k.check.Setting, cpis.AgeOn(q.BirthDate, p.At), q.Gender, nil).Reason
	}
	p.Why = k.waitReason()
	k.keep(p, &ui.Message{Title: "Recorded", Good: true,
		Body: "The presentation is saved. When the Spine is back, a colleague with code B0107 is offered the check, and any alert goes to the safeguarding lead's review list.",
		Next: "Record the next patient, or follow the downtime process for this one now."})
}

// KeepForCheck keeps the traced child on the list of checks that wait,
// for a colleague whose role has B0107: the user's role lacks it.
func (k *waitingScreens) KeepForCheck() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.touch()
	sess, ok := k.session()
	if !ok || k.offline == nil || k.v.Patient == nil || k.v.Screen != ui.ScreenPatient || k.v.Busy.Active {
		return
	}
	p := k.presentation(sess, k.present)
	p.Why = cpis.WaitNoViewFlag
	k.keep(p, &ui.Message{Title: "Kept for a colleague's check", Good: true,
		Body: "The child is on the list of checks that wait. A colleague whose role has code B0107 is offered the check when they sign in here.",
		Next: "If the child may be at risk now, tell the nurse in charge straight away."})
}

// keep saves p on the list of checks that wait, off the UI goroutine, and
// says done once it is on disk. k.mu is held.
func (k *waitingScreens) keep(p store.Presentation, done *ui.Message) {
	k.busy("Recording the presentation…")
	o := k.offline
	k.run(func(context.Context) func() {
		_, err := o.Enqueue(p)
		return func() {
			k.v.Busy = ui.Busy{}
			if err != nil {
				k.log.WithError(err).Error("recording a presentation")
				k.v.Message = &ui.Message{Title: "Not recorded",
					Body: "The presentation could not be saved on this computer.",
					Next: "Write it in the paper downtime log now, and call the IT service desk."}
				return
			}
			k.v.EntryText, k.v.Search = "", cpis.SearchQuery{}
			k.dropPatient()
			k.screen(ui.ScreenEntry)
			k.v.Message = done
			k.countsLocked()
			if k.kick != nil {
				k.kick()
			}
		}
	})
}

// presentation is what the queue keeps of a presentation: who was on
// duty, where and when, and the patient once set; never alert content.
func (k *waitingScreens) presentation(sess check.Session, pr check.Presentation) store.Presentation {
	p := store.Presentation{Key: pr.Key, At: pr.At, Setting: string(k.check.Setting),
		OrgCode: sess.Role.OrgCode, OrgName: sess.Role.OrgName,
		UserID: sess.User.ID, UserName: sess.User.Name, RoleID: sess.Role.ID, JobRole: sess.Role.JobRole,
		NHS: pr.NHS.Digits(), Check: "not known until the patient is traced"}
	if k.v.Patient != nil && k.v.Patient.NHS == pr.NHS {
		p.Check = k.v.Check.Reason
	}
	return p
}

// recordLocked enqueues on the calling goroutine; k.mu is held. Used only
// when a live open failed, where the presentation must not wait.
func (k *waitingScreens) recordLocked(p store.Presentation) error {
	if k.offline == nil {
		return errors.New("no offline queue")
	}
	if _, err := k.offline.Enqueue(p); err != nil {
		k.log.WithError(err).Error("recording a presentation")
		return err
	}
	k.countsLocked()
	if k.kick != nil {
		k.kick()
	}
	return nil
}

// ShowQueue shows the offline queue: counts and ages, no patient details.
func (k *waitingScreens) ShowQueue() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.touch()
	if _, ok := k.session(); !ok || k.offline == nil {
		return
	}
	k.dropPatient()
	k.screen(ui.ScreenQueue)
	k.busy("Reading the queue…")
	k.loadQueue()
}

// loadQueue reads the queue off the calling goroutine and shows it: the
// oldest entries waiting and moved aside, a page of each, and how many
// more there are, however long the queue.
func (k *waitingScreens) loadQueue() {
	o := k.offline
	k.run(func(context.Context) func() {
		rows, err := o.QueuePage(0, ui.QueueRowsShown)
		dead, derr := o.DeadLetterPage(0, ui.QueueRowsShown)
		c, cerr := o.Counts()
		return func() {
			k.v.Busy = ui.Busy{}
			if err = errors.Join(err, derr, cerr); err != nil {
				k.log.WithError(err).Error("reading the offline queue")
				k.v.Message = storeMessage()
				return
			}
			k.v.Queue = k.v.Queue[:0:0]
			for _, r := range rows {
				state := "waiting"
				if r.Attempts > 0 {
					state = "retrying (" + r.LastError + ")"
				}
				k.v.Queue = append(k.v.Queue, queueRow(r, state))
			}
			for _, r := range dead {
				k.v.Queue = append(k.v.Queue, queueRow(r, "moved aside: "+r.LastError))
			}
			// The counts are read apart from the pages, so a replay in
			// between can make them disagree by an entry or two.
			k.v.QueueMore = max(c.Queued+c.Dead-len(k.v.Queue), 0)
		}
	})
}

func queueRow(r store.QueueRow, state string) ui.QueueRow {
	kind := "NHS number"
	if r.Kind == "demographics" {
		kind = "Details only"
	}
	return ui.QueueRow{Seq: r.Seq, At: r.At, Kind: kind, Why: r.Why.Words(), Attempts: r.Attempts, State: state}
}

// ShowReview shows the retrospective review list to a role with B0107.
func (k *waitingScreens) ShowReview() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.touch()
	if !k.mayReview() {
		return
	}
	k.dropPatient()
	k.v.Review = nil
	k.screen(ui.ScreenReview)
	k.busy("Reading the review list…")
	k.loadReviews(nil)
}

// OpenReview opens one review item.
func (k *waitingScreens) OpenReview(id uint64) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.touch()
	if !k.mayReview() {
		return
	}
	o, canSign := k.offline, k.sess.Role.Has(cpis.ViewFlag)
	k.run(func(context.Context) func() {
		items, err := o.Reviews(false)
		return func() {
			if err != nil {
				k.v.Message = storeMessage()
				return
			}
			for _, it := range items {
				if it.ID == id {
					k.v.Review = reviewDetail(it, canSign)
				}
			}
		}
	})
}

// SignOff records the lead's action and signs the item off.
func (k *waitingScreens) SignOff(id uint64, note string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.touch()
	if !k.mayReview() {
		return
	}
	if note == "" {
		k.v.Message = &ui.Message{Title: "Say what was done", Body: "A sign-off needs a note of the action taken.", Next: "Type the action taken, then sign off.", Warn: true}
		k.publish()
		return
	}
	o, by, role, at := k.offline, k.sess.User.Name, k.sess.Role.JobRole+" ("+k.sess.Role.OrgCode+")", k.check.Now()
	k.busy("Signing off…")
	k.loadReviews(func() *ui.Message {
		err := o.SignOff(id, by, role, note, at)
		switch {
		case errors.Is(err, store.ErrAlreadySignedOff):
			return &ui.Message{Title: "Already signed off", Body: "Someone signed this item off already.", Next: "Check the note on the item.", Warn: true}
		case err != nil:
			k.log.WithError(err).Error("signing off a review item")
			return storeMessage()
		}
		return &ui.Message{Title: "Signed off", Body: "The review item is signed off and kept in the audit.", Next: "Open the next item.", Good: true}
	})
}

func (k *waitingScreens) mayReview() bool {
	sess, ok := k.session()
	if !ok || k.offline == nil {
		return false
	}
	if err := cpis.Permit(sess.Role, cpis.ActOpenAlert); err != nil {
		k.v.Message = &ui.Message{Title: "The review list needs code B0107",
			Body: "The retrospective review list shows Child Care Alerts, so it is for roles with code B0107.",
			Next: "Ask the safeguarding lead to review it."}
		k.publish()
		return false
	}
	return true
}

// loadReviews runs change, when given, then reads the review list and the
// counts, all off the calling goroutine, and shows them with change's
// message.
func (k *waitingScreens) loadReviews(change func() *ui.Message) {
	o := k.offline
	k.run(func(context.Context) func() {
		var msg *ui.Message
		if change != nil {
			msg = change()
		}
		items, err := o.Reviews(false)
		c, cerr := o.Counts()
		return func() {
			k.v.Busy, k.v.Review = ui.Busy{}, nil
			if msg != nil {
				k.v.Message = msg
			}
			if err != nil {
				k.log.WithError(err).Error("reading the review list")
				k.v.Message = storeMessage()
				return
			}
			k.v.Reviews = k.v.Reviews[:0:0]
			for _, it := range items {
				k.v.Reviews = append(k.v.Reviews, reviewRow(it))
			}
			if cerr == nil {
				k.v.Banner.Queued, k.v.Banner.Review = c.Queued+c.Dead, c.OpenReview
			}
		}
	})
}

func reviewRow(it store.ReviewItem) ui.ReviewRow {
	kind := map[cpis.Result]string{cpis.ResultAlert: "Child Care Alert found", cpis.ResultManualTrace: "Needs manual trace",
		cpis.ResultDeadLetter: "Could not be replayed", cpis.ResultAnswerLost: "Checked, answer lost"}[it.Kind]
	if it.FGM != nil {
		kind = strings.TrimPrefix(kind+"; FGM-IS indicator found", "; ")
	}
	return ui.ReviewRow{ID: it.ID, Created: it.Created, Presented: it.P.At, Kind: kind, Reason: it.Reason,
		AlertFound: it.Kind == cpis.ResultAlert, SignedOff: it.SignedOff, SignedBy: it.SignedBy, SignedAt: it.SignedAt, Note: it.Note}
}

func reviewDetail(it store.ReviewItem, canSign bool) *ui.ReviewDetail {
	d := &ui.ReviewDetail{Row: reviewRow(it), PresentedBy: it.P.UserName + ", " + it.P.JobRole, Alert: it.Alert, CanSignOff: canSign && !it.SignedOff}
	if it.CheckedBy.UserName != "" {
		d.CheckedBy, d.CheckedAt = it.CheckedBy.UserName+", "+it.CheckedBy.JobRole, it.CheckedAt
	}
	if it.P.NHS != "" {
		d.NHS = cpis.NHSNumber(it.P.NHS)
	}
	if it.Alert != nil {
		d.NHS = it.Alert.NHS
	}
	if it.FGM != nil {
		d.FGM = &ui.FGMIndicator{Assessed: it.FGM.Assessed, Queried: it.FGM.Queried}
	}
	d.Patient = "NHS number " + d.NHS.String()
	if it.P.Family != "" {
		d.Patient = it.P.Family + ", " + it.P.Given + " · born " + it.P.BirthDate.Format("02 Jan 2006")
	}
	return d
}

// countsLocked refreshes the banner's queue and review counts.
func (k *waitingScreens) countsLocked() {
	if k.offline == nil {
		return
	}
	c, err := k.offline.Counts()
	if err != nil {
		k.log.WithError(err).Error("reading the queue counts")
		return
	}
	k.v.Banner.Queued, k.v.Banner.Review = c.Queued+c.Dead, c.OpenReview
	k.queued = c.Queued
	k.offerLocked()
}

func storeMessage() *ui.Message {
	return &ui.Message{Title: "The kiosk's records cannot be read",
		Body: "The offline queue or review list on this computer could not be read.",
		Next: "Call the IT service desk. Use the paper downtime log meanwhile."}
}
