// Package filled builds values with every field set, for tests that guard
// a hand-written mapping between two structs (a config section into its
// package's options, a search record into a trace row, a row through a
// file format): fill the source, map it, and any field the mapping drops
// shows up as a zero. It owns nothing else and is imported by tests only.
package filled

import (
	"fmt"
	"reflect"
	"time"
)

// Fill sets every field of the struct *p, nested and embedded structs and
// pointees included, to a value of its own: distinct from the zero value
// and, in structs of fewer than 60 fields, from the other fields (strings
// and numbers count up, integers wrapping at 100 so that every integer kind
// holds them, times at 60 seconds; booleans are true, slices get one
// element). Fields
// named in skip (at any depth) stay zero. A field of a kind it cannot fill
// (maps, channels, functions, interfaces) is an error naming it.
func Fill(p any, skip ...string) error {
	v := reflect.ValueOf(p)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return fmt.Errorf("filled: want a pointer to a struct, got %T", p)
	}
	f := filler{skip: map[string]bool{}}
	for _, s := range skip {
		f.skip[s] = true
	}
	return f.fill(v.Elem(), v.Elem().Type().Name())
}

type filler struct {
	n    int
	skip map[string]bool
}

func (f *filler) fill(v reflect.Value, name string) error {
	f.n++
	switch v.Kind() {
	case reflect.String:
		v.SetString(fmt.Sprintf("v%d", f.n))
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(int64(f.n % 100))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(uint64(f.n % 100))
	case reflect.Float32, reflect.Float64:
		v.SetFloat(float64(f.n) + 0.5)
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		return f.fill(v.Elem(), name)
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 1, 1))
		return f.fill(v.Index(0), name)
	case reflect.Struct:
		if t, ok := v.Addr().Interface().(*time.Time); ok {
			*t = time.Date(2026, 1, 2, 3, 4, f.n%60, 0, time.UTC)
			return nil
		}
		for i := range v.NumField() {
			sf := v.Type().Field(i)
			if !sf.IsExported() || f.skip[sf.Name] {
				continue
			}
			if err := f.fill(v.Field(i), name+"."+sf.Name); err != nil {
				return err
			}
		}
	default:
		return fmt.Errorf("filled: %s is a %s, which Fill cannot fill", name, v.Type())
	}
	return nil
}

// ZeroFields lists the exported fields of struct v (a struct or a pointer
// to one) that are zero, embedded structs looked into, except those named
// in except.
func ZeroFields(v any, except ...string) []string {
	rv := reflect.Indirect(reflect.ValueOf(v))
	skip := map[string]bool{}
	for _, e := range except {
		skip[e] = true
	}
	var zero []string
	var walk func(v reflect.Value)
	walk = func(v reflect.Value) {
		for i := range v.NumField() {
			sf := v.Type().Field(i)
			switch {
			case !sf.IsExported() || skip[sf.Name]:
			case sf.Anonymous && sf.Type.Kind() == reflect.Struct:
				walk(v.Field(i))
			case v.Field(i).IsZero():
				zero = append(zero, sf.Name)
			}
		}
	}
	walk(rv)
	return zero
}

// Fields lists the exported top-level fields of the struct *p, in order.
func Fields(p any) []string {
	t := reflect.TypeOf(p).Elem()
	var names []string
	for i := range t.NumField() {
		if t.Field(i).IsExported() {
			names = append(names, t.Field(i).Name)
		}
	}
	return names
}

// One sets only the field name of the struct *p, to the value Fill gives
// it. With Fields it checks a mapping key by key: set one key, map, and
// see that the result changed.
func One(p any, name string) error {
	full := reflect.New(reflect.TypeOf(p).Elem())
	if err := Fill(full.Interface()); err != nil {
		return err
	}
	dst := reflect.ValueOf(p).Elem().FieldByName(name)
	if !dst.IsValid() {
		return fmt.Errorf("filled: %T has no field %s", p, name)
	}
	dst.Set(full.Elem().FieldByName(name))
	return nil
}
