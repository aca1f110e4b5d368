package configs

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

//go:embed default.yaml
var defaultYAML []byte

// DefaultYAML returns the embedded, documented default configuration.
func DefaultYAML() []byte { return append([]byte(nil), defaultYAML...) }

// ErrUnknownKey is wrapped by FieldError when a key does not exist.
var ErrUnknownKey = errors.New("configs: unknown key")

// FieldError says which key of the configuration is wrong and why.
type FieldError struct {
	Field  string // dotted key path, e.g. search.uct_c
	Value  string // the offending value, if any
	Source string // where it came from: a file, --set, an env var
	Err    error
	// Suggestion is the closest known key for an unknown one.
	Suggestion string
}

func (e *FieldError) Error() string {
	var b strings.Builder
	if errors.Is(e.Err, ErrUnknownKey) {
		fmt.Fprintf(&b, "unknown key %s", e.Field)
		if e.Suggestion != "" {
			fmt.Fprintf(&b, "; did you mean %s?", e.Suggestion)
		}
	} else {
		fmt.Fprintf(&b, "%s", e.Field)
		if e.Value != "" {
			fmt.Fprintf(&b, ": invalid value %q", e.Value)
		}
		fmt.Fprintf(&b, ": %v", e.Err)
	}
	if e.Source != "" {
		fmt.Fprintf(&b, " (from %s)", e.Source)
	}
	return b.String()
}

func (e *FieldError) Unwrap() error { return e.Err }

// Options are the inputs of Load, lowest precedence first.
type Options struct {
	File string            // --config FILE ("" for none)
	Sets []string          // --set key.path=value, in order
	Env  []string          // environment as KEY=VALUE; nil means os.Environ()
	Flag map[string]string // explicit command-line flags as key path -> value
}

// Default returns the embedded default configuration.
func Default() (*Config, error) {
	cfg := &Config{}
	if err := decodeYAML(cfg, defaultYAML, "embedded defaults"); err != nil {
		return nil, err
	}
	return cfg, nil
}

// Load builds the effective configuration: defaults, then the file, then the
// --set overrides, then MLBENCH_* env, then flags; and validates it.
func Load(opts Options) (*Config, error) {
	cfg, err := Default()
	if err != nil {
		return nil, err
	}
	if opts.File != "" {
		b, err := os.ReadFile(opts.File)
		if err != nil {
			return nil, fmt.Errorf("read config: %w", err)
		}
		if err := decodeYAML(cfg, b, opts.File); err != nil {
			return nil, err
		}
	}
	for _, s := range opts.Sets {
		key, val, ok := strings.Cut(s, "=")
		if !ok {
			return nil, &FieldError{Field: s, Source: "--set", Err: errors.New("expected key.path=value")}
		}
		if err := cfg.Set(strings.TrimSpace(key), val); err != nil {
			return nil, withSource(err, "--set")
		}
	}
	env := opts.Env
	if env == nil {
		env = os.Environ()
	}
	if err := cfg.applyEnv(env); err != nil {
		return nil, err
	}
	if err := cfg.SetAll(opts.Flag); err != nil {
		return nil, withSource(err, "command-line flag")
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return cfg, nil
}

func withSource(err error, src string) error {
	var fe *FieldError
	if errors.As(err, &fe) && fe.Source == "" {
		fe.Source = src
	}
	return err
}

// Parse decodes a complete or partial YAML document over the defaults and
// validates the result; it is how a saved config.yaml is read back.
func Parse(b []byte, source string) (*Config, error) {
	cfg, err := Default()
	if err != nil {
		return nil, err
	}
	if err := decodeYAML(cfg, b, source); err != nil {
		return nil, err
	}
	return cfg, cfg.Validate()
}

// YAML renders the configuration so that Parse gives the same Config back.
func (c *Config) YAML() ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(c); err != nil {
		return nil, fmt.Errorf("encode config: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("encode config: %w", err)
	}
	return buf.Bytes(), nil
}

// Keys returns every settable dotted key path, sorted.
func Keys() []string {
	var keys []string
	walkKeys(reflect.TypeOf(Config{}), "", func(path string, _ reflect.Type) { keys = append(keys, path) })
	sort.Strings(keys)
	return keys
}

func walkKeys(t reflect.Type, prefix string, fn func(string, reflect.Type)) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name := yamlName(f)
		if name == "" {
			continue
		}
		path := name
		if prefix != "" {
			path = prefix + "." + name
		}
		if f.Type.Kind() == reflect.Struct && f.Type != durationType {
			walkKeys(f.Type, path, fn)
			continue
		}
		fn(path, f.Type)
	}
}

func yamlName(f reflect.StructField) string {
	tag := f.Tag.Get("yaml")
	name, _, _ := strings.Cut(tag, ",")
	if name == "-" {
		return ""
	}
	return name
}

var durationType = reflect.TypeOf(time.Duration(0))

// field finds the struct field for a dotted key path.
func (c *Config) field(path string) (reflect.Value, error) {
	v := reflect.ValueOf(c).Elem()
	parts := strings.Split(path, ".")
	for i, p := range parts {
		if v.Kind() == reflect.Map && i == len(parts)-1 {
			return reflect.Value{}, &FieldError{Field: path, Err: errors.New("map entries are set with a YAML value for the whole map")}
		}
		if v.Kind() != reflect.Struct || v.Type() == durationType {
			return reflect.Value{}, unknownKey(path)
		}
		found := false
		for j := 0; j < v.NumField(); j++ {
			if yamlName(v.Type().Field(j)) == p {
				v = v.Field(j)
				found = true
				break
			}
		}
		if !found {
			return reflect.Value{}, unknownKey(path)
		}
	}
	if v.Kind() == reflect.Struct && v.Type() != durationType {
		return reflect.Value{}, &FieldError{Field: path, Err: errors.New("is a section, not a key; set one of its keys")}
	}
	return v, nil
}

func unknownKey(path string) *FieldError {
	return &FieldError{Field: path, Err: ErrUnknownKey, Suggestion: suggest(path, Keys())}
}

// SetAll applies Set to every key of values in sorted order (so the
// outcome does not depend on map order) and returns the first error.
func (c *Config) SetAll(values map[string]string) error {
	for _, k := range slices.Sorted(maps.Keys(values)) {
		if err := c.Set(k, values[k]); err != nil {
			return err
		}
	}
	return nil
}

// Set assigns one value, given as text, to the key at path. Lists and maps
// take YAML flow syntax ("[0.3, 0.7]", "{a: 1}"); a list also takes a plain
// comma-separated form ("0.3,0.7").
func (c *Config) Set(path, value string) error {
	v, err := c.field(path)
	if err != nil {
		return err
	}
	if err := setValue(v, strings.TrimSpace(value)); err != nil {
		return &FieldError{Field: path, Value: value, Err: err}
	}
	return nil
}

func setValue(v reflect.Value, s string) error {
	switch {
	case v.Type() == durationType:
		d, err := parseDuration(s)
		if err != nil {
			return err
		}
		v.SetInt(int64(d))
		return nil
	case v.Kind() == reflect.String:
		v.SetString(s)
		return nil
	case v.Kind() == reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return errors.New("expected a boolean (true or false)")
		}
		v.SetBool(b)
		return nil
	case v.Kind() >= reflect.Int && v.Kind() <= reflect.Int64:
		n, err := strconv.ParseInt(strings.ReplaceAll(s, "_", ""), 10, 64)
		if err != nil {
			return errors.New("expected an integer")
		}
		v.SetInt(n)
		return nil
	case v.Kind() == reflect.Float64 || v.Kind() == reflect.Float32:
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return errors.New("expected a number")
		}
		v.SetFloat(f)
		return nil
	case v.Kind() == reflect.Slice:
		if !strings.HasPrefix(s, "[") {
			s = "[" + s + "]"
		}
		fallthrough
	default:
		ptr := reflect.New(v.Type())
		if err := yaml.Unmarshal([]byte(s), ptr.Interface()); err != nil {
			return fmt.Errorf("expected %s in YAML flow syntax", kindName(v.Type()))
		}
		v.Set(ptr.Elem())
		return nil
	}
}

// parseDuration accepts Go durations plus a "d" suffix for days.
func parseDuration(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.ParseFloat(days, 64)
		if err == nil {
			return time.Duration(n * float64(24*time.Hour)), nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, errors.New("expected a duration such as 90s, 30m, 12h or 1d")
	}
	return d, nil
}

func kindName(t reflect.Type) string {
	switch {
	case t == durationType:
		return "a duration"
	case t.Kind() == reflect.Slice:
		return "a list of " + strings.TrimPrefix(kindName(t.Elem()), "a ")
	case t.Kind() == reflect.Map:
		return "a mapping"
	case t.Kind() == reflect.String:
		return "a string"
	case t.Kind() == reflect.Bool:
		return "a boolean"
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Int64:
		return "an integer"
	case t.Kind() == reflect.Float64:
		return "a number"
	}
	return t.String()
}

// decodeYAML merges a YAML document into cfg key by key, so that every
// unknown key and every wrong type is reported with its full path.
func decodeYAML(cfg *Config, b []byte, source string) error {
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return fmt.Errorf("parse %s: %w", source, err)
	}
	if len(doc.Content) == 0 {
		return nil // empty document
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return fmt.Errorf("parse %s: line %d: expected a mapping of sections (llm, search, exec, ...)", source, root.Line)
	}
	return mergeNode(reflect.ValueOf(cfg).Elem(), root, "", source)
}

func mergeNode(v reflect.Value, n *yaml.Node, prefix, source string) error {
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		path := k.Value
		if prefix != "" {
			path = prefix + "." + k.Value
		}
		src := fmt.Sprintf("%s line %d", source, k.Line)
		var fv reflect.Value
		for j := 0; j < v.NumField(); j++ {
			if yamlName(v.Type().Field(j)) == k.Value {
				fv = v.Field(j)
				break
			}
		}
		if !fv.IsValid() {
			fe := unknownKey(path)
			fe.Source = src
			return fe
		}
		if fv.Kind() == reflect.Struct && fv.Type() != durationType {
			if val.Kind != yaml.MappingNode {
				if val.Tag == "!!null" {
					continue
				}
				return &FieldError{Field: path, Value: val.Value, Source: src, Err: errors.New("expected a section (a mapping of keys)")}
			}
			if err := mergeNode(fv, val, path, source); err != nil {
				return err
			}
			continue
		}
		if val.Kind == yaml.ScalarNode && val.Tag != "!!null" {
			if err := setValue(fv, val.Value); err != nil {
				return &FieldError{Field: path, Value: val.Value, Source: src, Err: err}
			}
			continue
		}
		ptr := reflect.New(fv.Type())
		if err := val.Decode(ptr.Interface()); err != nil {
			return &FieldError{Field: path, Source: src, Err: fmt.Errorf("expected %s", kindName(fv.Type()))}
		}
		fv.Set(ptr.Elem())
	}
	return nil
}

// EnvName is the environment variable that overrides a key path.
func EnvName(path string) string {
	return "MLBENCH_" + strings.ToUpper(strings.ReplaceAll(path, ".", "_"))
}

// applyEnv applies MLBENCH_* variables; one that names no key is an error,
// so a typo in a job script does not silently fall back to a default.
func (c *Config) applyEnv(env []string) error {
	byName := map[string]string{}
	for _, k := range Keys() {
		byName[EnvName(k)] = k
	}
	sort.Strings(env)
	for _, kv := range env {
		name, val, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, "MLBENCH_") || reservedEnv[name] {
			continue
		}
		path, ok := byName[name]
		if !ok {
			guess := strings.ToLower(strings.TrimPrefix(name, "MLBENCH_"))
			return &FieldError{Field: name, Source: "environment", Err: ErrUnknownKey, Suggestion: envSuggest(guess)}
		}
		if err := c.Set(path, val); err != nil {
			return withSource(err, "environment variable "+name)
		}
	}
	return nil
}

// reservedEnv are MLBENCH_* variables that are not config keys.
var reservedEnv = map[string]bool{"MLBENCH_BIN": true, "MLBENCH_RUN_DIR": true, "MLBENCH_ITEM": true}

func envSuggest(guess string) string {
	var names []string
	for _, k := range Keys() {
		names = append(names, strings.ReplaceAll(k, ".", "_"))
	}
	if s := suggest(guess, names); s != "" {
		return "MLBENCH_" + strings.ToUpper(s)
	}
	return ""
}

// ExpandPath expands a leading ~ to the user's home directory.
func ExpandPath(p string) string {
	if p == "~" || strings.HasPrefix(p, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, strings.TrimPrefix(p, "~"))
		}
	}
	return p
}

// suggest returns the candidate closest to s, preferring candidates that
// share the same section, or "" if nothing is plausibly a typo of s.
func suggest(s string, candidates []string) string {
	best, bestD := "", -1
	for _, c := range candidates {
		d := editDistance(s, c)
		// A key whose last segment matches is likely the intended one.
		if strings.Contains(c, ".") && lastSeg(c) == lastSeg(s) {
			d = min(d, 1)
		}
		if bestD < 0 || d < bestD {
			best, bestD = c, d
		}
	}
	if bestD < 0 || bestD > max(2, len(s)/3) {
		return ""
	}
	return best
}

func lastSeg(s string) string {
	if i := strings.LastIndexByte(s, '.'); i >= 0 {
		return s[i+1:]
	}
	return s
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
