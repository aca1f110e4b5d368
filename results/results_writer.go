package results

import (
	"io"
	"path/filepath"

	"github.com/mlbench/mlbench/internal/atomicfile"
)

// WriteResults writes rows as runDir/results.parquet atomically (temp file,
// fsync, rename), replacing an earlier one.
func WriteResults(runDir string, rows []ResultRow) error {
	return atomicfile.Write(filepath.Join(runDir, ResultsFile), 0o644, func(f io.Writer) error {
		return encodeRows(f, rows, KindResult, 100_000)
	})
}

// WriteNodesFile writes rows as one complete Parquet file at path
// atomically. It is what TraceWriter does for each part; tools use it to
// rewrite a part (e.g. after grading every node).
func WriteNodesFile(path string, rows []NodeRow) error {
	return atomicfile.Write(path, 0o644, func(f io.Writer) error {
		return encodeNodes(f, rows, 10_000)
	})
}
