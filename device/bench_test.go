package device_test

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/nhs-cpis/kiosk/device"
	"github.com/nhs-cpis/kiosk/device/vcard"
)

// Latency benchmarks for the performance table. Each iteration is one
// insert and one removal of a virtual card through real pcscd, with a
// random pause before the measured step; each reports the p50 and p99 of
// its latencies in milliseconds (ns/op counts the pauses and is not the
// figure to read). pcscd polls
// the vpcd driver, so most of what they measure is pcscd's own delay;
// BenchmarkBareGetStatusChange measures that alone, for comparison.

// jitter waits a random part of pcscd's 400 ms driver poll, so that
// iterations do not lock to its phase and the percentiles sample it all.
func jitter() { time.Sleep(rand.N(400 * time.Millisecond)) }

// reportLatency adds p50 and p99 of ds, in ms, as metrics named
// prefix+"p50-ms" and prefix+"p99-ms".
func reportLatency(b *testing.B, prefix string, ds []time.Duration) {
	if len(ds) == 0 {
		return
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	at := func(p float64) time.Duration {
		i := int(float64(len(s))*p+0.5) - 1
		return s[max(0, min(i, len(s)-1))]
	}
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(ms(at(0.50)), prefix+"p50-ms")
	b.ReportMetric(ms(at(0.99)), prefix+"p99-ms")
}

// cycle inserts a card and returns a function that removes it and waits
// for Insert to return, and the moment removal began.
func cycle(b *testing.B, card *vcard.Card) (remove func() time.Time) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- vcard.Insert(ctx, vpcdAddr, card) }()
	return func() time.Time {
		at := time.Now()
		cancel()
		if err := <-done; err != nil {
			b.Fatalf("Insert: %v", err)
		}
		return at
	}
}

// benchLatency runs step b.N times with a Reader watching the vpcd reader
// and a card to put in it, and reports the latencies step returns.
func benchLatency(b *testing.B, step func(r *device.Reader, card *vcard.Card) time.Duration) {
	needPCSCD(b)
	r := startReader(b, device.Options{Reader: vpcdReader})
	next(b, r, device.EventReaderAdded, vpcdReader)
	card := vcard.NewCard(vcard.Users[0])
	var ds []time.Duration
	b.ResetTimer()
	for range b.N {
		ds = append(ds, step(r, card))
	}
	b.StopTimer()
	reportLatency(b, "", ds)
}

// BenchmarkInsertToEvent: from the card side connecting to vpcd until the
// Reader emits EventCardInserted.
func BenchmarkInsertToEvent(b *testing.B) {
	benchLatency(b, func(r *device.Reader, card *vcard.Card) time.Duration {
		jitter()
		start := time.Now()
		remove := cycle(b, card)
		next(b, r, device.EventCardInserted, vpcdReader)
		d := time.Since(start)
		remove()
		next(b, r, device.EventCardRemoved, vpcdReader)
		return d
	})
}

// BenchmarkRemoveToEvent: from the card side closing its connection until
// the Reader emits EventCardRemoved.
func BenchmarkRemoveToEvent(b *testing.B) {
	benchLatency(b, func(r *device.Reader, card *vcard.Card) time.Duration {
		remove := cycle(b, card)
		next(b, r, device.EventCardInserted, vpcdReader)
		jitter()
		start := remove()
		next(b, r, device.EventCardRemoved, vpcdReader)
		return time.Since(start)
	})
}

// BenchmarkBareGetStatusChange: pcscd's own notification latency, with a
// plain GetStatusChange loop on the vpcd reader and no Reader: insert-*
// from connecting to SCARD_STATE_PRESENT, remove-* from closing to
// SCARD_STATE_EMPTY.
func BenchmarkBareGetStatusChange(b *testing.B) {
	needPCSCD(b)
	w, err := watchVPCD()
	if err != nil {
		b.Fatal(err)
	}
	defer w.close()
	waitFor := func(in bool) {
		if err := w.until(in, time.Second); err != nil {
			b.Fatal(err)
		}
	}
	waitFor(false)
	card := vcard.NewCard(vcard.Users[0])
	var ins, outs []time.Duration
	b.ResetTimer()
	for range b.N {
		jitter()
		start := time.Now()
		remove := cycle(b, card)
		waitFor(true)
		ins = append(ins, time.Since(start))
		jitter()
		start = remove()
		waitFor(false)
		outs = append(outs, time.Since(start))
	}
	b.StopTimer()
	reportLatency(b, "insert-", ins)
	reportLatency(b, "remove-", outs)
}
