package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"go.etcd.io/bbolt"

	"github.com/nhs-cpis/kiosk/cpis"
)

// The retrospective review list: alerts found on replay, patients PDS
// could not trace to one person, and entries moved aside. A safeguarding
// lead works through it and signs each item off (DESIGN.md: "Any alert
// found on replay goes to a retrospective review list that a safeguarding
// lead must work through and sign off"; the guide's step 21).

// Errors about review items.
var (
	// ErrNoSuchReview means no review item has that number.
	ErrNoSuchReview = errors.New("no such review item")
	// ErrAlreadySignedOff means the item was signed off before; a sign-off
	// is never overwritten, so who signed and when stays as it was.
	ErrAlreadySignedOff = errors.New("the review item is already signed off")
)

// ReviewItem is one thing for the safeguarding lead to review.
type ReviewItem struct {
	ID      uint64       `json:"-"`
	Created time.Time    `json:"created"`
	Kind    cpis.Result  `json:"kind"` // ResultAlert, ResultManualTrace or ResultDeadLetter
	P       Presentation `json:"p"`
	// Alert is what the replay found, for ResultAlert: the NHS number and
	// the visible plans with their local authority. See Complete for why
	// alert content may be here.
	Alert  *cpis.Alert `json:"alert,omitempty"`
	Reason string      `json:"reason,omitempty"`
	// FGM is the FGM-IS indicator the check found, kept with the item for
	// the lead's review and only there, sealed like the alert.
	FGM *cpis.FGMFlag `json:"fgm,omitempty"`
	// CheckedBy made the check, at CheckedAt: beside P.At and P.UserName,
	// when the child presented and who recorded it.
	CheckedBy Actor     `json:"checked_by,omitzero"`
	CheckedAt time.Time `json:"checked_at,omitzero"`

	SignedOff  bool      `json:"signed_off,omitempty"`
	SignedBy   string    `json:"signed_by,omitempty"`
	SignedRole string    `json:"signed_role,omitempty"`
	SignedAt   time.Time `json:"signed_at,omitzero"`
	Note       string    `json:"note,omitempty"`
}

// metaOpenReviews counts the items not yet signed off, kept in step with
// the list in the same transactions, so that Counts need not decrypt the
// whole list for the banner after every replayed entry.
var metaOpenReviews = []byte("open-reviews")

// addReviewTx adds an item to the review list inside tx.
func (db *DB) addReviewTx(tx *bbolt.Tx, it ReviewItem) error {
	b := tx.Bucket(bucketReview)
	id, err := b.NextSequence()
	if err != nil {
		return fmt.Errorf("numbering review item: %w", err)
	}
	if err := db.putSealed(b, bucketReview, seqKey(id), it); err != nil {
		return err
	}
	return addCount(tx, metaOpenReviews, 1)
}

// Reviews lists the review items, oldest first; with openOnly, only those
// not yet signed off.
func (db *DB) Reviews(openOnly bool) ([]ReviewItem, error) {
	var items []ReviewItem
	err := db.view(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketReview).ForEach(func(k, v []byte) error {
			var it ReviewItem
			if err := db.openSealed(bucketReview, k, v, &it); err != nil {
				return err
			}
			it.ID = binary.BigEndian.Uint64(k)
			if !openOnly || !it.SignedOff {
				items = append(items, it)
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("reading review list: %w", err)
	}
	return items, nil
}

// SignOff marks item id as reviewed by the named lead in the given role.
// The item stays on the list, marked; the sign-off is audited in the same
// transaction. A second sign-off is ErrAlreadySignedOff.
func (db *DB) SignOff(id uint64, by, role, note string, at time.Time) error {
	if by == "" {
		return fmt.Errorf("signing off review item %d: no one named as signing", id)
	}
	err := db.update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketReview)
		k := seqKey(id)
		v := b.Get(k)
		if v == nil {
			return ErrNoSuchReview
		}
		var it ReviewItem
		if err := db.openSealed(bucketReview, k, v, &it); err != nil {
			return err
		}
		if it.SignedOff {
			return ErrAlreadySignedOff
		}
		it.SignedOff, it.SignedBy, it.SignedRole, it.SignedAt, it.Note = true, by, role, at, note
		if err := db.putSealed(b, bucketReview, k, it); err != nil {
			return err
		}
		if err := addCount(tx, metaOpenReviews, -1); err != nil {
			return err
		}
		nhs := it.P.NHS
		if it.Alert != nil {
			nhs = it.Alert.NHS.Digits()
		}
		_, err := db.appendTx(tx, Event{At: at, Kind: cpis.EventReviewSignOff, UserName: by, JobRole: role,
			OrgCode: it.P.OrgCode, Setting: it.P.Setting, NHS: nhs, TraceID: it.P.Key, Result: cpis.ResultDone, Outcome: string(it.Kind)})
		return err
	})
	if err != nil {
		return fmt.Errorf("signing off review item %d: %w", id, err)
	}
	return nil
}
