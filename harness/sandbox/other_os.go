//go:build !linux

package sandbox

import (
	"context"
	"errors"
	"runtime"
)

// errOS is returned by Run off Linux: the sandbox needs Linux namespaces,
// rlimits and /proc.
var errOS = errors.New("sandbox: needs Linux, not " + runtime.GOOS)

type cgroups struct{}

func runCgroups() *cgroups                             { return nil }
func (c *cgroups) has(string) bool                     { return false }
func (c *cgroups) String() string                      { return "" }
func (c *cgroups) close()                              {}
func nprocEnforced() bool                              { return false }
func allowedCPUs() []int                               { return nil }
func (l *launch) run(context.Context) (*Result, error) { return nil, errOS }
func processAlive(int) bool                            { return true }
