// Package views renders plans, apply progress and results for people
// (tables, colour) and for machines (JSON). Commands print only through it,
// and it is the only package that imports color and tablewriter.
package views
