package vcard

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/sirupsen/logrus"
)

// DefaultAddr is where vpcd's first reader, "Virtual PCD 00 00", waits for
// a card. The second, "Virtual PCD 00 01", is on port 35964.
const DefaultAddr = "127.0.0.1:35963"

// Addr is where vpcd listens for reader n: "Virtual PCD 00 00" is 35963,
// "Virtual PCD 00 01" 35964.
func Addr(n int) string { return fmt.Sprintf("127.0.0.1:%d", 35963+n) }

// ErrReaderClosed means the virtual reader hung up: pcscd stopped or
// restarted, or another card took the slot.
var ErrReaderClosed = errors.New("the virtual reader closed the connection")

// vpcd control codes: a one-byte message from the reader.
const (
	ctrlOff   = 0
	ctrlOn    = 1
	ctrlReset = 2
	ctrlATR   = 4
)

// Insert puts the card into the vpcd reader at addr (DefaultAddr when
// empty) and serves it until ctx is done, when it closes the connection,
// which vpcd sees as the card's removal, and returns nil. If the reader
// hangs up first it returns an error wrapping ErrReaderClosed.
//
// The vpcd protocol: connecting inserts the card; every message either
// way is a 2-byte big-endian length and a payload. A 1-byte payload from
// the reader is a control code (0 power off, 1 power on, 2 reset, 4 get
// ATR; only 4 is answered, with the ATR); a longer one is a command APDU,
// answered with the response APDU.
func Insert(ctx context.Context, addr string, card *Card) error {
	if addr == "" {
		addr = DefaultAddr
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("inserting virtual card at %s: %w", addr, err)
	}
	defer conn.Close()
	// A card comes in cold and leaves cold: nothing verified survives.
	card.Reset()
	defer card.Reset()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()

	var hdr [2]byte
	for {
		if _, err := io.ReadFull(conn, hdr[:]); err != nil {
			return readerGone(ctx, err)
		}
		msg := make([]byte, binary.BigEndian.Uint16(hdr[:]))
		if _, err := io.ReadFull(conn, msg); err != nil {
			return readerGone(ctx, err)
		}
		var answer []byte
		switch len(msg) {
		case 0:
			continue
		case 1:
			switch msg[0] {
			case ctrlOff, ctrlOn, ctrlReset:
				card.Reset()
				continue
			case ctrlATR:
				answer = card.ATR()
			default:
				continue
			}
		default:
			answer, _ = card.Transmit(msg)
		}
		out := binary.BigEndian.AppendUint16(make([]byte, 0, 2+len(answer)), uint16(len(answer)))
		if _, err := conn.Write(append(out, answer...)); err != nil {
			return readerGone(ctx, err)
		}
	}
}

func readerGone(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return nil
	}
	return fmt.Errorf("serving virtual card: %w (%w)", ErrReaderClosed, err)
}

// Run keeps the user's card in the vpcd reader at addr until ctx is done,
// putting it back a second after the reader hangs up (pcscd restarted) or
// cannot be reached (pcscd not running yet). The same card goes back, so
// its passcode counter carries over. Only the user id is logged.
func Run(ctx context.Context, id string, addr string, log logrus.FieldLogger) error {
	u, ok := Find(id)
	if !ok {
		return fmt.Errorf("running virtual card: no demo user %q", id)
	}
	if log == nil {
		l := logrus.New()
		l.Out = io.Discard
		log = l
	}
	if addr == "" {
		addr = DefaultAddr
	}
	log = log.WithFields(logrus.Fields{"component": "vcard", "user": u.ID, "addr": addr})
	card := NewCard(u)
	failing := false
	for {
		log.Debug("inserting virtual card")
		err := Insert(ctx, addr, card)
		if ctx.Err() != nil {
			log.Info("virtual card removed")
			return nil
		}
		switch {
		case errors.Is(err, ErrReaderClosed):
			// It was in: pcscd stopped or restarted.
			log.WithError(err).Warn("virtual reader hung up; inserting the card again in a second")
			failing = false
		case !failing:
			log.WithError(err).Warn("virtual reader unreachable; trying every second")
			failing = true
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(time.Second):
		}
	}
}
