// Package builtin links mlbench's scheduling backends into a program: each
// registers itself with package scheduler when imported. Commands import
// this package (for its side effect) and package scheduler, never a
// backend. Adding a backend is its own package plus one import here.
package builtin

import (
	// Backends register themselves in their init functions.
	_ "github.com/mlbench/mlbench/scheduler/local"
	_ "github.com/mlbench/mlbench/scheduler/slurm"
)
