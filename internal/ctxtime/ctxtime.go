// Package ctxtime waits in a way a context can cut short. It owns nothing
// else: retry policies (how long to wait, how often) stay with their callers.
package ctxtime

import (
	"context"
	"time"
)

// Sleep waits d or until ctx is done, whichever comes first, and returns
// ctx.Err() when the context ended the wait (or had already ended when d
// is zero or negative), else nil.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
