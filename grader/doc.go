// Package grader grades submissions exactly as MLE-Bench's reference graders
// do: per-competition validation and metrics, medal thresholds from
// leaderboards or the built-in table, CompetitionReport JSON, aggregate
// reports and the format-validation server. It imports nothing of mlbench's
// own so that it can be reused on its own.
package grader
