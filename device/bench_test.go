package device_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/ebfe/scard"

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

func benchReader(b *testing.B) *device.Reader {
	needPCSCD(b)
	r := startReader(b, device.Options{Reader: vpcdReader})
	next(b, r, device.EventReaderAdded, vpcdReader)
	return r
}

// BenchmarkInsertToEvent: from the card side connecting to vpcd until the
// Reader emits EventCardInserted.
func BenchmarkInsertToEvent(b *testing.B) {
	r := benchReader(b)
	card := vcard.NewCard(vcard.Users[0])
	var ds []time.Duration
	b.ResetTimer()
	for range b.N {
		jitter()
		start := time.Now()
		remove := cycle(b, card)
		next(b, r, device.EventCardInserted, vpcdReader)
		ds = append(ds, time.Since(start))
		remove()
		next(b, r, device.EventCardRemoved, vpcdReader)
	}
	b.StopTimer()
	reportLatency(b, "", ds)
}

// BenchmarkRemoveToEvent: from the card side closing its connection until
// the Reader emits EventCardRemoved.
func BenchmarkRemoveToEvent(b *testing.B) {
	r := benchReader(b)
	card := vcard.NewCard(vcard.Users[0])
	var ds []time.Duration
	b.ResetTimer()
	for range b.N {
		remove := cycle(b, card)
		next(b, r, device.EventCardInserted, vpcdReader)
		jitter()
		start := remove()
		next(b, r, device.EventCardRemoved, vpcdReader)
		ds = append(ds, time.Since(start))
	}
	b.StopTimer()
	reportLatency(b, "", ds)
}

// BenchmarkBareGetStatusChange: pcscd's own notification latency, with a
// plain GetStatusChange loop on the vpcd reader and no Reader: insert-*
// from connecting to SCARD_STATE_PRESENT, remove-* from closing to
// SCARD_STATE_EMPTY.
func BenchmarkBareGetStatusChange(b *testing.B) {
	needPCSCD(b)
	ctx, err := scard.EstablishContext()
	if err != nil {
		b.Fatal(err)
	}
	defer ctx.Release()
	rs := []scard.ReaderState{{Reader: vpcdReader, CurrentState: scard.StateUnaware}}
	waitFor := func(flag scard.StateFlag) {
		deadline := time.Now().Add(wait)
		for {
			err := ctx.GetStatusChange(rs, time.Second)
			if err != nil && !errors.Is(err, scard.ErrTimeout) {
				b.Fatalf("GetStatusChange: %v", err)
			}
			rs[0].CurrentState = rs[0].EventState &^ scard.StateChanged
			if rs[0].EventState&flag != 0 {
				return
			}
			if time.Now().After(deadline) {
				b.Fatalf("reader state %#x never had %#x", rs[0].EventState, flag)
			}
		}
	}
	waitFor(scard.StateEmpty)
	card := vcard.NewCard(vcard.Users[0])
	var ins, outs []time.Duration
	b.ResetTimer()
	for range b.N {
		jitter()
		start := time.Now()
		remove := cycle(b, card)
		waitFor(scard.StatePresent)
		ins = append(ins, time.Since(start))
		jitter()
		start = remove()
		waitFor(scard.StateEmpty)
		outs = append(outs, time.Since(start))
	}
	b.StopTimer()
	reportLatency(b, "insert-", ins)
	reportLatency(b, "remove-", outs)
}
