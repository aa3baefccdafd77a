package device

// The snapshot of what the Reader sees, for the IT screen. The loop writes
// it under Reader.mu; Status copies it out.

import (
	"slices"
	"time"
)

// ReaderInfo is one reader as the Reader last saw it.
type ReaderInfo struct {
	Name        string
	CardPresent bool
	ATR         []byte
}

// Status is a snapshot of what the Reader sees, for the IT screen.
type Status struct {
	// ServiceUp is whether the PC/SC service can be reached.
	ServiceUp bool
	// HotPlug is whether the service tells of readers being plugged in
	// (the \\?PnP?\Notification pseudo-reader); without it the reader list
	// is polled.
	HotPlug bool
	// Readers are the connected readers, in the service's order.
	Readers []ReaderInfo
	// LastError is the last PC/SC failure, or nil; LastErrorAt its time.
	// It stays after recovery, for IT to see what happened.
	LastError   error
	LastErrorAt time.Time
}

// Status is a snapshot of the service, the readers and the last error.
func (r *Reader) Status() Status {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.status
	s.Readers = make([]ReaderInfo, len(r.status.Readers))
	for i, ri := range r.status.Readers {
		ri.ATR = slices.Clone(ri.ATR)
		s.Readers[i] = ri
	}
	return s
}

// publish copies the loop's view of the readers into the status snapshot.
func (r *Reader) publish() {
	infos := make([]ReaderInfo, 0, len(r.order))
	for _, name := range r.order {
		rs := r.readers[name]
		infos = append(infos, ReaderInfo{Name: name, CardPresent: rs.present, ATR: slices.Clone(rs.atr)})
	}
	r.mu.Lock()
	r.status.Readers = infos
	r.mu.Unlock()
}

func (r *Reader) setServiceUp(up bool, err error) {
	r.mu.Lock()
	r.status.ServiceUp = up
	if !up {
		r.status.HotPlug = false
	}
	r.mu.Unlock()
	if err != nil {
		r.setError(err)
	}
}

func (r *Reader) setHotPlug(on bool) {
	r.mu.Lock()
	r.status.HotPlug = on
	r.mu.Unlock()
}

func (r *Reader) setError(err error) {
	r.mu.Lock()
	r.status.LastError, r.status.LastErrorAt = err, r.opts.Now()
	r.mu.Unlock()
}
