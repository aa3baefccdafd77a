package controller

import (
	"context"
	"sync"
	"time"

	"github.com/nhs-cpis/kiosk/cpis"
	"github.com/nhs-cpis/kiosk/spine"
	"github.com/nhs-cpis/kiosk/ui"
)

// fakeSpine is a hand-written Spine for the controller's tests, where the
// order and overlap of calls must be controlled exactly. The real clients
// are tested against the real sandbox in sandbox_test.go.
type fakeSpine struct {
	mu        sync.Mutex
	patients  map[cpis.NHSNumber]cpis.Patient
	plans     map[cpis.NHSNumber][]cpis.Plan
	err       error
	gate      chan struct{} // when set, Patient waits for it
	opened    []string      // the TraceID of each Plans call: every one notifies
	historyFn func() ([]cpis.Access, error)
}

func newFakeSpine() *fakeSpine {
	return &fakeSpine{patients: map[cpis.NHSNumber]cpis.Patient{}, plans: map[cpis.NHSNumber][]cpis.Plan{}}
}

func (f *fakeSpine) Patient(ctx context.Context, _ spine.Session, nhs cpis.NHSNumber) (cpis.Patient, error) {
	f.mu.Lock()
	gate := f.gate
	f.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return cpis.Patient{}, ctx.Err()
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return cpis.Patient{}, f.err
	}
	p, ok := f.patients[nhs]
	if !ok {
		return cpis.Patient{}, &spine.Error{Op: "retrieving patient", Status: 404, Err: spine.ErrNotFound}
	}
	return p, nil
}

func (f *fakeSpine) Search(context.Context, spine.Session, cpis.SearchQuery, int) ([]cpis.Patient, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []cpis.Patient
	for _, p := range f.patients {
		out = append(out, p)
	}
	return out, f.err
}

func (f *fakeSpine) Plans(_ context.Context, _ spine.Session, nhs cpis.NHSNumber, traceID string) ([]cpis.Plan, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.opened = append(f.opened, traceID)
	return f.plans[nhs], f.err
}

func (f *fakeSpine) History(context.Context, spine.Session, cpis.NHSNumber, string) ([]cpis.Access, error) {
	if f.historyFn != nil {
		return f.historyFn()
	}
	return []cpis.Access{{When: time.Now(), Who: "Demo Nurse", Role: "Staff Nurse", Organisation: "Sandbox General Hospital"}}, nil
}

// views records every View the kiosk publishes.
type views struct {
	mu  sync.Mutex
	all []ui.View
	ch  chan ui.View
}

func newViews() *views { return &views{ch: make(chan ui.View, 100)} }

// last is the latest View published.
func (v *views) last() ui.View {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.all[len(v.all)-1]
}

func (v *views) show(view ui.View) {
	v.mu.Lock()
	v.all = append(v.all, view)
	v.mu.Unlock()
	select {
	case v.ch <- view:
	default:
	}
}

// FGMFlags answers that FGM-IS holds no indicator (the FGM-IS flow is
// tested on the real sandbox: fgm_test.go).
func (f *fakeSpine) FGMFlags(context.Context, spine.Session, cpis.NHSNumber, string) (spine.FGMAnswer, error) {
	return spine.FGMAnswer{}, nil
}
