package itstatus

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// The running kiosk's snapshot: its status in its data folder, rewritten
// every snapshotEvery, read by `cpis-kiosk status` while the kiosk holds
// the database. Mode 0600; it holds no patient details.
const (
	snapshotName  = "status.json"
	snapshotEvery = 30 * time.Second
	// snapshotFresh: an older snapshot means the kiosk is not writing any
	// more.
	snapshotFresh = 2 * time.Minute
)

// WriteSnapshot replaces the snapshot in dataDir with s.
func WriteSnapshot(dataDir string, s Status) error {
	tmp, err := os.CreateTemp(dataDir, ".status-*.json")
	if err != nil {
		return fmt.Errorf("writing status snapshot: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err == nil {
		err = s.WriteJSON(tmp)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), filepath.Join(dataDir, snapshotName))
	}
	if err != nil {
		return fmt.Errorf("writing status snapshot: %w", err)
	}
	return nil
}

func readSnapshot(dataDir string) (*Status, error) {
	b, err := os.ReadFile(filepath.Join(dataDir, snapshotName))
	if err != nil {
		return nil, err
	}
	var s Status
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("reading status snapshot: %w", err)
	}
	return &s, nil
}

// fromSnapshot is the snapshot's lines with the ids, in that order, each
// saying it comes from the running kiosk; none when the snapshot is not
// fresh.
func fromSnapshot(snap *Status, now time.Time, ids []string) []StatusLine {
	if snap == nil || now.Sub(snap.Checked) > snapshotFresh {
		return nil
	}
	age := roundDur(now.Sub(snap.Checked))
	var out []StatusLine
	for _, id := range ids {
		if l, ok := snap.Line(id); ok {
			l.Detail += " (From the running kiosk, " + age + " ago.)"
			out = append(out, l)
		}
	}
	return out
}
