package results

import (
	"os"
	"path/filepath"
)

// WriteResults writes rows as runDir/results.parquet atomically (temp file,
// fsync, rename), replacing an earlier one.
func WriteResults(runDir string, rows []ResultRow) error {
	return writeFileAtomic(filepath.Join(runDir, ResultsFile), func(f *os.File) error {
		return encodeRows(f, rows, KindResult, 100_000)
	})
}

// WriteNodesFile writes rows as one complete Parquet file at path
// atomically. It is what TraceWriter does for each part; tools use it to
// rewrite a part (e.g. after grading every node).
func WriteNodesFile(path string, rows []NodeRow) error {
	return writeFileAtomic(path, func(f *os.File) error {
		return encodeNodes(f, rows, 10_000)
	})
}
