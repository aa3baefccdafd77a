package store

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"go.etcd.io/bbolt"

	"github.com/nhs-cpis/kiosk/cpis"
)

// The configuration as last recorded, so that a change between starts is
// audited (who changes the care setting or the lead roles matters as much
// as who opens an alert). It is sealed like everything else in the file.

var metaConfig = []byte("config")

// RecordConfig compares settings (name to value) with those recorded last
// time and, when they differ, records them and appends e (its Kind and
// Outcome filled in) in the same transaction. It returns the names of the
// settings that changed; on the first call, every name.
func (db *DB) RecordConfig(settings map[string]string, e Event) ([]string, error) {
	var changed []string
	err := db.update(func(tx *bbolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		var last map[string]string
		first := true
		if v := meta.Get(metaConfig); v != nil {
			var env envelope
			if err := json.Unmarshal(v, &env); err != nil || env.V != envelopeV1 {
				return fmt.Errorf("recorded configuration: %w", ErrTampered)
			}
			plain, err := db.seal.open(bucketMeta, metaConfig, env.Sealed)
			if err != nil {
				return fmt.Errorf("recorded configuration: %w", err)
			}
			if err := json.Unmarshal(plain, &last); err != nil {
				return fmt.Errorf("decoding recorded configuration: %w", err)
			}
			first = false
		}
		var words []string
		for k := range unionKeys(settings, last) {
			old, had := last[k]
			now, has := settings[k]
			if had == has && old == now {
				continue
			}
			changed = append(changed, k)
		}
		if len(changed) == 0 {
			return nil
		}
		sort.Strings(changed)
		for _, k := range changed {
			words = append(words, fmt.Sprintf("%s %s -> %s", k, short(last[k]), short(settings[k])))
		}
		plain, err := json.Marshal(settings)
		if err != nil {
			return err
		}
		val, err := json.Marshal(envelope{V: envelopeV1, Sealed: db.seal.seal(bucketMeta, metaConfig, plain)})
		if err != nil {
			return err
		}
		if err := meta.Put(metaConfig, val); err != nil {
			return err
		}
		e.Kind, e.Result = cpis.EventConfigChanged, cpis.ResultDone
		if first {
			e.Outcome = fmt.Sprintf("first recorded: %d settings", len(settings))
		} else {
			e.Outcome = "changed: " + strings.Join(words, "; ")
		}
		_, err = db.appendTx(tx, e)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("recording configuration: %w", err)
	}
	return changed, nil
}

func unionKeys(a, b map[string]string) map[string]bool {
	u := make(map[string]bool, len(a)+len(b))
	for k := range a {
		u[k] = true
	}
	for k := range b {
		u[k] = true
	}
	return u
}

// short is a setting's value as the audit record shows it.
func short(s string) string {
	if s == "" {
		return `""`
	}
	if r := []rune(s); len(r) > 60 {
		return fmt.Sprintf("%q", string(r[:57])+"...")
	}
	return fmt.Sprintf("%q", s)
}
