package structured

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/mlbench/mlbench/grader/csvscan"
)

// TestNextRow: every row of a long file comes back (the context check
// every 1024 rows is no end of file), and a cancelled context stops the
// walk at its next check.
func TestNextRow(t *testing.T) {
	const n = 5000
	text := "id\n" + strings.Repeat("x\n", n)
	walk := func(ctx context.Context) (int, error) {
		cr, err := csvscan.NewReader(strings.NewReader(text))
		if err != nil {
			t.Fatal(err)
		}
		rows := 0
		for {
			ok, err := nextRow(ctx, cr)
			if err != nil || !ok {
				return rows, err
			}
			rows++
		}
	}
	if rows, err := walk(context.Background()); rows != n || err != nil {
		t.Fatalf("rows = %d, err = %v; want %d, nil", rows, err, n)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if rows, err := walk(ctx); !errors.Is(err, context.Canceled) || rows > 1024 {
		t.Fatalf("cancelled: rows = %d, err = %v", rows, err)
	}
}
