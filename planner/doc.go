// Package planner decides what apply must do: it diffs the file facts package scan
// gathered against the lockfile, producing a Plan of one Change per
// asset. It is pure: no network, no writes, no clock, no colour; views render
// the Plan and the executor carries it out.
package planner
