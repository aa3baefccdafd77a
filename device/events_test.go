package device

import (
	"fmt"
	"testing"
	"time"
)

// A consumer that does not read must never block the loop, and must never
// miss that a card came out.
func TestEmitNeverBlocksNorLosesRemoval(t *testing.T) {
	r := NewReader(Options{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 500 {
			reader := fmt.Sprintf("Reader %d", i%3)
			r.emit(Event{Kind: EventCardInserted, Reader: reader, ATR: []byte{0x3B, byte(i)}})
			r.emit(Event{Kind: EventCardRemoved, Reader: reader})
		}
		r.emit(Event{Kind: EventCardInserted, Reader: "Reader 0"})
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("emit blocked on a consumer that does not read")
	}
	var got []Event
	for len(r.events) > 0 {
		got = append(got, <-r.events)
		if len(r.events) == 0 {
			r.flush() // as the loop does at every turn
		}
	}
	if len(got) > eventBuffer+backlogMax+1 {
		t.Fatalf("%d events delivered: the backlog was never compacted", len(got))
	}
	removed := map[string]bool{}
	for _, e := range got {
		if e.Kind == EventCardRemoved {
			removed[e.Reader] = true
		}
	}
	for i := range 3 {
		if name := fmt.Sprintf("Reader %d", i); !removed[name] {
			t.Errorf("the removal from %s was dropped", name)
		}
	}
	if last := got[len(got)-1]; last.Kind != EventCardInserted || last.Reader != "Reader 0" {
		t.Errorf("the newest event was dropped: last is %v %s", last.Kind, last.Reader)
	}
}

// With a consumer that reads, order is kept; with distinct removals
// nothing is dropped.
func TestEmitKeepsOrder(t *testing.T) {
	r := NewReader(Options{})
	const n = 1000
	got := make(chan []Event)
	go func() {
		var es []Event
		for e := range r.events {
			es = append(es, e)
		}
		got <- es
	}()
	for i := range n {
		r.emit(Event{Kind: EventCardRemoved, Reader: fmt.Sprint(i)})
	}
	for len(r.backlog) > 0 {
		r.flush()
		time.Sleep(time.Millisecond)
	}
	close(r.events)
	es := <-got
	if len(es) != n {
		t.Fatalf("%d events, want the %d sent", len(es), n)
	}
	prev := -1
	for _, e := range es {
		var i int
		fmt.Sscan(e.Reader, &i)
		if i <= prev {
			t.Fatalf("event %d after %d: order lost", i, prev)
		}
		prev = i
	}
	if prev != n-1 {
		t.Errorf("the last event (%d) was lost; last seen %d", n-1, prev)
	}
}

func TestCompact(t *testing.T) {
	ev := func(k EventKind, reader string) Event { return Event{Kind: k, Reader: reader} }
	in, out := ev(EventCardInserted, "A"), ev(EventCardRemoved, "A")
	inB, outB := ev(EventCardInserted, "B"), ev(EventCardRemoved, "B")
	addA, goneA := ev(EventReaderAdded, "A"), ev(EventReaderRemoved, "A")
	up, down := ev(EventServiceUp, ""), ev(EventServiceDown, "")
	tests := []struct {
		name     string
		q, wantQ []Event
	}{
		{"insert then remove leaves the removal", []Event{in, out}, []Event{out}},
		{"repeated cycles collapse", []Event{out, in, out, in, out, in, out}, []Event{out}},
		{"the card now in stays", []Event{out, in, out, in}, []Event{out, in}},
		{"readers apart", []Event{out, outB, in, inB, out}, []Event{out, outB, inB}},
		{"removal then insertion kept", []Event{out, in}, []Event{out, in}},
		{"reader events", []Event{addA, in, out, goneA, addA}, []Event{out, goneA, addA}},
		{"service restarts", []Event{out, goneA, down, up, addA, in, out, goneA, down, up, addA, in},
			[]Event{out, goneA, down, up, addA, in}},
		{"nothing to drop", []Event{out, outB, down}, []Event{out, outB, down}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := compact(append([]Event(nil), tt.q...))
			if fmt.Sprint(got) != fmt.Sprint(tt.wantQ) {
				t.Errorf("compact =\n%v\nwant\n%v", got, tt.wantQ)
			}
		})
	}
}

func TestOptionsDefaults(t *testing.T) {
	for _, tt := range []struct{ in, want time.Duration }{
		{0, 500 * time.Millisecond}, {-time.Second, 500 * time.Millisecond},
		{200 * time.Millisecond, 200 * time.Millisecond}, {5 * time.Second, time.Second},
	} {
		if got := NewReader(Options{Poll: tt.in}).opts.Poll; got != tt.want {
			t.Errorf("Poll %v: got %v, want %v", tt.in, got, tt.want)
		}
	}
}
