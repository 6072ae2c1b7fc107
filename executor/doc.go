// Package executor carries out a plan: it uploads what the plan says to
// upload through the providers, moves and drops lockfile entries for renames
// and forgets, and persists the lockfile after every success so that an
// interrupted apply loses at most the uploads in flight.
package executor
