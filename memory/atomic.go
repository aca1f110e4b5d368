package memory

import (
	"bytes"
	"encoding/json"

	"github.com/mlbench/mlbench/internal/atomicfile"
)

// tempPrefix starts the name of every temporary file this package writes
// (through atomicfile); readers skip such names.
const tempPrefix = atomicfile.TempPrefix

// marshalJSON encodes v without HTML escaping (files are read by people and
// Python, not browsers), indented or compact, ending in a newline.
func marshalJSON(v any, indent bool) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if indent {
		enc.SetIndent("", "  ")
	}
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
