package results

import (
	"io"
	"os"
)

// TailFile returns the last n bytes of the file at path and the file's
// size, so a caller can say the text was cut. It returns "" when the file
// cannot be read or is not a regular file: a tail is for messages and
// views, where a missing log is no error.
func TailFile(path string, n int64) (tail string, size int64) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		return "", 0
	}
	size = st.Size()
	off := max(size-n, 0)
	b, err := io.ReadAll(io.NewSectionReader(f, off, size-off))
	if err != nil {
		return "", size
	}
	return string(b), size
}
