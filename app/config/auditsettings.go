package config

import (
	"bytes"
	"fmt"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"
)

// MarshalText writes the retention back as the configuration writes it.
func (r Retention) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// Tree is the configuration in effect, defaults filled in, as the TOML
// file's tree of tables and values.
func Tree(cfg Config) (map[string]any, error) {
	var buf bytes.Buffer
	if err := toml.NewEncoder(&buf).Encode(cfg); err != nil {
		return nil, fmt.Errorf("reading the configuration: %w", err)
	}
	var tree map[string]any
	if _, err := toml.Decode(buf.String(), &tree); err != nil {
		return nil, fmt.Errorf("reading the configuration: %w", err)
	}
	return tree, nil
}

// Settings flattens the configuration to "section.key" and its
// value as TOML writes it, every setting included (new ones too, with no
// list to keep up), for the audit of configuration changes.
func Settings(cfg Config) (map[string]string, error) {
	tree, err := Tree(cfg)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	var walk func(prefix string, m map[string]any)
	walk = func(prefix string, m map[string]any) {
		for k, v := range m {
			switch x := v.(type) {
			case map[string]any:
				walk(prefix+k+".", x)
			case []any:
				parts := make([]string, len(x))
				for i, p := range x {
					parts[i] = fmt.Sprint(p)
				}
				sort.Strings(parts)
				out[prefix+k] = strings.Join(parts, ", ")
			default:
				out[prefix+k] = fmt.Sprint(x)
			}
		}
	}
	walk("", tree)
	return out, nil
}
