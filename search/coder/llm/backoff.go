package llm

import (
	"math/rand/v2"
	"time"
)

// Backoff is the retry delay schedule: attempt n waits a random duration in
// [d/2, d] with d = min(Base*2^n, Max), or the server's Retry-After when
// that is longer (up to ten minutes).
type Backoff struct {
	Base time.Duration
	Max  time.Duration
}

// DefaultBackoff starts at one second and stops growing at one minute.
var DefaultBackoff = Backoff{Base: time.Second, Max: time.Minute}

func (b Backoff) delay(attempt int) time.Duration {
	d := b.Base
	for i := 0; i < attempt && d < b.Max; i++ {
		d *= 2
	}
	if d > b.Max {
		d = b.Max
	}
	if d <= 0 {
		return 0
	}
	half := d / 2
	return half + rand.N(d-half+1)
}
