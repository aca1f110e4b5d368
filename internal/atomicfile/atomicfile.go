// Package atomicfile writes files that other processes read, so that a
// reader sees either the old content or the new, never a half-written file:
// a temporary file in the same directory is filled, fsynced and renamed
// over the target (litestream's habit). Run directories and the wisdom
// store live on shared filesystems, where many writers and readers meet.
package atomicfile

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// TempPrefix starts the name of every temporary file Write creates, so that
// readers of a directory can skip them and cleaners can find leftovers of a
// killed writer.
const TempPrefix = ".tmp-"

// Write creates or replaces path with what fill writes, with mode perm.
// On any error the temporary file is removed and path is untouched.
func Write(path string, perm os.FileMode, fill func(io.Writer) error) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, TempPrefix+filepath.Base(path)+"-*")
	if err != nil {
		return fmt.Errorf("create temp for %s: %w", filepath.Base(path), err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(tmp)
		}
	}()
	// CreateTemp makes 0600; files on a shared filesystem are read by the
	// group (other array elements, report jobs).
	if err = f.Chmod(perm); err != nil {
		return fmt.Errorf("chmod %s: %w", filepath.Base(path), err)
	}
	if err = fill(f); err != nil {
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", filepath.Base(path), err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", filepath.Base(path), err)
	}
	if err = os.Rename(tmp, path); err != nil {
		return fmt.Errorf("rename into %s: %w", path, err)
	}
	SyncDir(dir)
	return nil
}

// WriteFile creates or replaces path with data, with mode perm.
func WriteFile(path string, data []byte, perm os.FileMode) error {
	return Write(path, perm, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// SyncDir makes renames in dir durable where the filesystem supports fsync
// on a directory; errors are ignored because some (NFS) refuse it and the
// rename itself has already happened.
func SyncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	_ = d.Sync()
	_ = d.Close()
}
