package ctxtime_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/mlbench/mlbench/internal/ctxtime"
)

func TestSleep(t *testing.T) {
	if err := ctxtime.Sleep(context.Background(), time.Millisecond); err != nil {
		t.Errorf("a full wait: %v", err)
	}
	if err := ctxtime.Sleep(context.Background(), 0); err != nil {
		t.Errorf("no wait: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start := time.Now()
	if err := ctxtime.Sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled wait: %v", err)
	}
	if time.Since(start) > time.Minute {
		t.Error("a cancelled context did not cut the wait short")
	}
	if err := ctxtime.Sleep(ctx, 0); !errors.Is(err, context.Canceled) {
		t.Errorf("no wait on a cancelled context: %v", err)
	}
}
