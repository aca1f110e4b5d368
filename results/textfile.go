package results

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
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

// HeadText returns the first limit bytes of the text file at path as valid
// UTF-8 (a rune cut in two becomes one replacement character), with a note
// when the file is longer; "" when it cannot be opened or is not a regular
// file.
func HeadText(path string, limit int64) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() {
		return ""
	}
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return fmt.Sprintf("(cannot read %s: %v)", filepath.Base(path), err)
	}
	if int64(len(b)) > limit {
		return strings.ToValidUTF8(string(b[:limit]), "\uFFFD") + fmt.Sprintf("\n… (cut at %d KiB)", limit>>10)
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}
