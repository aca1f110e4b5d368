package results

import (
	"fmt"
	"reflect"
	"strings"
	"time"
	"unsafe"
)

// The reader's columns are derived from the row types' parquet tags, the
// same tags parquet-go writes by, so that the schema structs are the one
// list of columns: a column added to NodeRow or ResultRow is read back
// without a second edit. (A hand-kept list here once missed ResultRow's
// modality and fallback columns, and reports read from results.parquet
// lost them.)
var (
	nodeSetters   = settersOf[NodeRow]()
	resultSetters = settersOf[ResultRow]()
)

// settersOf returns a setter for every parquet-tagged field of T, in field
// order with embedded structs flattened where they stand: the order in
// which parquet-go lays out the columns.
func settersOf[T any]() []columnSetter[T] {
	var out []columnSetter[T]
	var walk func(t reflect.Type, off uintptr)
	walk = func(t reflect.Type, off uintptr) {
		for i := range t.NumField() {
			f := t.Field(i)
			if f.Anonymous && f.Type.Kind() == reflect.Struct {
				walk(f.Type, off+f.Offset)
				continue
			}
			if name := columnName(f); name != "" {
				out = append(out, setterFor[T](name, f.Type, off+f.Offset))
			}
		}
	}
	walk(reflect.TypeFor[T](), 0)
	return out
}

// columnName is the Parquet column of field f: its tag's name, or "" when
// the field is not a column (unexported, untagged or tagged "-").
func columnName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("parquet"), ",")
	if !f.IsExported() || name == "-" {
		return ""
	}
	return name
}

// setterFor is the setter of a column whose field has type typ at byte
// offset off in T. A type the reader has no conversion for is a
// programming error in the schema, found by any test that reads.
func setterFor[T any](name string, typ reflect.Type, off uintptr) columnSetter[T] {
	switch typ {
	case reflect.TypeFor[string]():
		return stringCol(name, fieldAt[T, string](off))
	case reflect.TypeFor[int64]():
		return numCol(name, fieldAt[T, int64](off))
	case reflect.TypeFor[float64]():
		return numCol(name, fieldAt[T, float64](off))
	case reflect.TypeFor[bool]():
		return boolCol(name, fieldAt[T, bool](off))
	case reflect.TypeFor[time.Time]():
		return timeCol(name, fieldAt[T, time.Time](off))
	case reflect.TypeFor[*float64]():
		return optFloat64Col(name, fieldAt[T, *float64](off))
	case reflect.TypeFor[*string]():
		return optStringCol(name, fieldAt[T, *string](off))
	}
	panic(fmt.Sprintf("results: column %s is a %s, which the reader cannot fill", name, typ))
}

// fieldAt returns the accessor of the field at byte offset off of a T. The
// offset is reflect's and setterFor has checked that the field's type is
// exactly V, so the pointer stays inside *r and points at a V. Reflection
// per cell instead would cost a 2M-node report a noticeable share of its
// read.
func fieldAt[T, V any](off uintptr) func(*T) *V {
	return func(r *T) *V { return (*V)(unsafe.Add(unsafe.Pointer(r), off)) }
}
