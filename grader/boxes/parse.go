// Package boxes parses the prediction strings of MLE-Bench's detection
// competitions and computes their metrics as the reference graders do:
// the PASCAL VOC mAP@0.5 of siim-covid19-detection, pycocotools' COCO mAP
// at IoU 0.4 of vinbigdata-chest-xray-abnormalities-detection, Lyft's 3D
// mAP over IoU 0.50..0.95 of 3d-object-detection-for-autonomous-vehicles,
// and the centre-in-box F1 of kuzushiji-recognition.
//
// Parsers accept exactly what the reference accepts: Python's float() for
// numbers (so "nan", "inf", "1_000" and Unicode digits), and each
// reference's way of splitting (str.split() on any whitespace for siim,
// split(" ") on single spaces elsewhere, where two spaces make an empty,
// invalid token).
package boxes

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/mlbench/mlbench/grader/internal/pyref"
)

// ParseError says what is wrong with a prediction string.
type ParseError struct {
	Token  int    // 1-based token index, 0 when about the whole string
	Value  string // the offending token, shortened
	Reason string
}

func (e *ParseError) Error() string {
	if e.Token > 0 {
		return fmt.Sprintf("token %d (%q): %s", e.Token, e.Value, e.Reason)
	}
	return e.Reason
}

func short(s string) string {
	if len(s) > 40 {
		return s[:37] + "..."
	}
	return s
}

// floatAt parses token i (0-based) with Python's float().
func floatAt(toks []string, i int) (float64, error) {
	v, err := pyref.ParseFloat(toks[i])
	if err != nil {
		return 0, &ParseError{Token: i + 1, Value: short(toks[i]), Reason: "not a number"}
	}
	return v, nil
}

func groupError(n, per int, what string) error {
	return &ParseError{Reason: fmt.Sprintf("%d tokens is not a multiple of %d (%s)", n, per, what)}
}

// parseGroups parses toks as groups of the tokens that layout names (a
// token count that is not a multiple of their number is an error). Tokens
// first to first+n-1 of each group go through float() into v, and build
// makes the group's value from the index i of its first token and v (which
// it must not keep).
func parseGroups[T any](toks []string, layout string, first, n int, build func(i int, v []float64) (T, error)) ([]T, error) {
	per := len(strings.Fields(layout))
	if len(toks)%per != 0 {
		return nil, groupError(len(toks), per, layout)
	}
	out := make([]T, 0, len(toks)/per)
	v := make([]float64, n)
	for i := 0; i < len(toks); i += per {
		for k := range v {
			f, err := floatAt(toks, i+first+k)
			if err != nil {
				return nil, err
			}
			v[k] = f
		}
		g, err := build(i, v)
		if err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, nil
}

// Box is a labelled axis-aligned box with a confidence: one object of a
// siim-covid19-detection prediction string.
type Box struct {
	Label                  string
	Conf                   float64
	XMin, YMin, XMax, YMax float64
}

// ParseSIIM parses "label conf xmin ymin xmax ymax ..." split on any
// whitespace, as the reference's parse_prediction_string (which fails on a
// token count that is not a multiple of 6).
func ParseSIIM(s string) ([]Box, error) {
	toks := pyref.Fields(s)
	return parseGroups(toks, "label confidence xmin ymin xmax ymax", 1, 5, func(i int, v []float64) (Box, error) {
		return Box{Label: toks[i], Conf: v[0], XMin: v[1], YMin: v[2], XMax: v[3], YMax: v[4]}, nil
	})
}

// Detection is one object of a vinbigdata prediction string: a class id
// (the reference's int() of the first number), a score and a box.
type Detection struct {
	Class                  int64
	ClassInRange           bool // false when int() gives a value beyond int64 (never a category)
	Score                  float64
	XMin, YMin, XMax, YMax float64
}

// ErrClassNotFinite is returned for a NaN or infinite class id, which the
// reference's int() rejects.
var ErrClassNotFinite = errors.New("boxes: class id is not a finite number")

// ParseVinBigData parses "class score xmin ymin xmax ymax ..." split on
// single spaces, every token through Python's float(), the class through
// int() (truncating towards zero), as the reference's VinBigDataEval does.
func ParseVinBigData(s string) ([]Detection, error) {
	toks := strings.Split(s, " ")
	vals := make([]float64, len(toks))
	for i := range toks {
		v, err := floatAt(toks, i)
		if err != nil {
			return nil, err
		}
		vals[i] = v
	}
	if len(vals)%6 != 0 {
		return nil, groupError(len(vals), 6, "class score xmin ymin xmax ymax")
	}
	out := make([]Detection, 0, len(vals)/6)
	for i := 0; i < len(vals); i += 6 {
		c := vals[i]
		if math.IsNaN(c) || math.IsInf(c, 0) {
			return nil, &ParseError{Token: i + 1, Value: short(toks[i]), Reason: ErrClassNotFinite.Error()}
		}
		t := math.Trunc(c)
		d := Detection{Score: vals[i+1], XMin: vals[i+2], YMin: vals[i+3], XMax: vals[i+4], YMax: vals[i+5]}
		if t >= -9.223372036854775e18 && t <= 9.223372036854775e18 {
			d.Class, d.ClassInRange = int64(t), true
		}
		out = append(out, d)
	}
	return out, nil
}

// Object3D is one object of a Lyft prediction string.
type Object3D struct {
	Conf                  float64
	X, Y, Z               float64 // centre
	Width, Length, Height float64
	Yaw                   float64
	Name                  string
}

// ParseLyft parses "conf x y z width length height yaw class ..." split on
// single spaces, as the reference's parse_row: a blank string has no
// objects, the token count must be a multiple of 9, numbers go through
// Python's float(), and an infinite yaw fails (math.cos raises).
func ParseLyft(s string) ([]Object3D, error) {
	if pyref.TrimSpace(s) == "" {
		return nil, nil
	}
	toks := strings.Split(s, " ")
	return parseGroups(toks, "confidence x y z width length height yaw class", 0, 8, func(i int, v []float64) (Object3D, error) {
		if math.IsInf(v[7], 0) {
			return Object3D{}, &ParseError{Token: i + 8, Value: short(toks[i+7]), Reason: "yaw is infinite (math domain error)"}
		}
		return Object3D{Conf: v[0], X: v[1], Y: v[2], Z: v[3], Width: v[4], Length: v[5], Height: v[6], Yaw: v[7], Name: toks[i+8]}, nil
	})
}

// Point is one predicted character of kuzushiji-recognition: a label and a
// centre.
type Point struct {
	Label string
	X, Y  float64
}

// ParseKuzushiji parses "label x y ..." split on single spaces, as the
// reference's check (token count a multiple of 3, x and y through float()).
func ParseKuzushiji(s string) ([]Point, error) {
	toks := strings.Split(s, " ")
	return parseGroups(toks, "label x y", 1, 2, func(i int, v []float64) (Point, error) {
		return Point{Label: toks[i], X: v[0], Y: v[1]}, nil
	})
}

// Char is one true character of kuzushiji-recognition: a label and a box
// given as its top-left corner and size.
type Char struct {
	Label                  string
	XMin, YMin, XMax, YMax float64
}

// ParseKuzushijiTruth parses "label x y width height ..." split on single
// spaces (the answers' format).
func ParseKuzushijiTruth(s string) ([]Char, error) {
	toks := strings.Split(s, " ")
	return parseGroups(toks, "label x y width height", 1, 4, func(i int, v []float64) (Char, error) {
		return Char{Label: toks[i], XMin: v[0], YMin: v[1], XMax: v[0] + v[2], YMax: v[1] + v[3]}, nil
	})
}
