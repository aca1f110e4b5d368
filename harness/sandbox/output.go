package sandbox

import (
	"fmt"
	"strings"
	"sync"
)

// Capture keeps the first and last bytes written to it and counts the rest,
// so a script that prints gigabytes costs a bounded amount of memory. It is
// safe for concurrent use.
type Capture struct {
	mu    sync.Mutex
	head  []byte
	tail  []byte // ring buffer of the last len(tail) bytes once full
	start int    // index of the oldest byte in tail once full
	full  bool
	n     int // bytes held in tail before it is full
	total int64
}

// NewCapture returns a Capture that keeps max bytes: max/2 from the start
// and the rest from the end. max <= 0 keeps nothing but still counts.
func NewCapture(max int) *Capture {
	if max < 0 {
		max = 0
	}
	h := max / 2
	return &Capture{head: make([]byte, 0, h), tail: make([]byte, max-h)}
}

// Write records p; it never fails.
func (c *Capture) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := len(p)
	c.total += int64(n)
	if room := cap(c.head) - len(c.head); room > 0 {
		k := min(room, len(p))
		c.head = append(c.head, p[:k]...)
		p = p[k:]
	}
	size := len(c.tail)
	if size == 0 || len(p) == 0 {
		return n, nil
	}
	if len(p) >= size {
		copy(c.tail, p[len(p)-size:])
		c.start, c.full = 0, true
		return n, nil
	}
	if !c.full {
		k := copy(c.tail[c.n:], p)
		c.n += k
		p = p[k:]
		if c.n < size {
			return n, nil
		}
		c.full, c.start = true, 0
	}
	for len(p) > 0 {
		k := copy(c.tail[c.start:], p)
		p = p[k:]
		c.start = (c.start + k) % size
	}
	return n, nil
}

// Total is the number of bytes written so far.
func (c *Capture) Total() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.total
}

// String returns the head, an elision marker line if bytes were dropped,
// and the tail. Invalid UTF-8 (from a cut through a character) is replaced.
func (c *Capture) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var tail []byte
	if c.full {
		tail = append(append(tail, c.tail[c.start:]...), c.tail[:c.start]...)
	} else {
		tail = c.tail[:c.n]
	}
	var b strings.Builder
	b.Write(c.head)
	if dropped := c.total - int64(len(c.head)) - int64(len(tail)); dropped > 0 {
		if len(c.head) > 0 && c.head[len(c.head)-1] != '\n' {
			b.WriteByte('\n')
		}
		fmt.Fprintf(&b, "[... %d bytes elided ...]\n", dropped)
	}
	b.Write(tail)
	return strings.ToValidUTF8(b.String(), "\uFFFD")
}
