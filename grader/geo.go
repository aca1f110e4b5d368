package grader

import (
	"fmt"
	"math"
	"slices"
	"sort"
)

// Competitions scored by a distance between predicted and true positions:
// angles on the unit sphere (IceCube) and places on the Earth (smartphone).

// gradeIceCube is the mean angular distance between the true and predicted
// directions.
func gradeIceCube(sub, ans *Table) (float64, error) {
	if err := requireExactColumnSet(sub, []string{"event_id", "azimuth", "zenith"}); err != nil {
		return 0, err
	}
	for _, c := range []string{"azimuth", "zenith"} {
		sc, _ := sub.Column(c)
		if _, err := sc.Finite(); err != nil {
			return 0, err
		}
	}
	if err := requireRows(sub, ans.Len()); err != nil {
		return 0, err
	}
	perm, err := alignSameIDs(sub, ans, "event_id")
	if err != nil {
		return 0, err
	}
	azT, azP, err := alignedFloats(sub, ans, perm, "azimuth")
	if err != nil {
		return 0, err
	}
	zeT, zeP, err := alignedFloats(sub, ans, perm, "zenith")
	if err != nil {
		return 0, err
	}
	var sum float64
	for i := range azT {
		sa1, ca1 := math.Sincos(azT[i])
		sz1, cz1 := math.Sincos(zeT[i])
		sa2, ca2 := math.Sincos(azP[i])
		sz2, cz2 := math.Sincos(zeP[i])
		dot := sz1*sz2*(ca1*ca2+sa1*sa2) + cz1*cz2
		dot = max(-1, min(1, dot))
		sum += math.Abs(math.Acos(dot))
	}
	return sum / float64(len(azT)), nil
}

// gradeSmartphone is, per trip of the answers, the mean of the 50th and
// 95th percentiles of the haversine distances between the rows of the trip
// in file order (no timestamp join), averaged over trips.
func gradeSmartphone(sub, ans *Table) (float64, error) {
	cols := []string{"tripId", "UnixTimeMillis", "LatitudeDegrees", "LongitudeDegrees"}
	if err := requireColumns(sub, cols...); err != nil {
		return 0, err
	}
	if err := requireRows(sub, ans.Len()); err != nil {
		return 0, err
	}
	aLat, sLat, err := columnFloats(sub, ans, "LatitudeDegrees")
	if err != nil {
		return 0, err
	}
	aLng, sLng, err := columnFloats(sub, ans, "LongitudeDegrees")
	if err != nil {
		return 0, err
	}
	st, _ := sub.Column("tripId")
	at, err := ans.Column("tripId")
	if err != nil {
		return 0, fmt.Errorf("answers: %w", err)
	}
	key := idKey(st, at)
	subByTrip := map[string][]int{}
	for i := range st.Len() {
		k := key(st, i)
		subByTrip[k] = append(subByTrip[k], i)
	}
	var order []string
	ansByTrip := map[string][]int{}
	for i := range at.Len() {
		k := key(at, i)
		if _, ok := ansByTrip[k]; !ok {
			order = append(order, k)
		}
		ansByTrip[k] = append(ansByTrip[k], i)
	}
	var sum float64
	for _, trip := range order {
		ar, sr := ansByTrip[trip], subByTrip[trip]
		if len(ar) != len(sr) {
			return 0, &InvalidSubmission{Column: "tripId", Reason: fmt.Sprintf("trip %s has %d rows in the submission and %d in the answers", quoteCell(at.String(ar[0])), len(sr), len(ar))}
		}
		d := make([]float64, len(ar))
		for k := range ar {
			d[k] = haversine(sLat[sr[k]], sLng[sr[k]], aLat[ar[k]], aLng[ar[k]])
		}
		sum += (quantile(d, 0.5) + quantile(d, 0.95)) / 2
	}
	return sum / float64(len(order)), nil
}

// haversine is the notebook's distance in metres on a sphere of radius
// 6,371,000 m between two points in degrees.
func haversine(lat1, lng1, lat2, lng2 float64) float64 {
	const r = 6371000
	la1, la2 := lat1*math.Pi/180, lat2*math.Pi/180
	dlat := la2 - la1
	dlng := lng2*math.Pi/180 - lng1*math.Pi/180
	s1, s2 := math.Sin(dlat/2), math.Sin(dlng/2)
	a := s1*s1 + math.Cos(la1)*math.Cos(la2)*s2*s2
	return 2 * r * math.Asin(math.Sqrt(a))
}

// quantile is numpy's linear-interpolation quantile (NaN if any is NaN).
func quantile(v []float64, q float64) float64 {
	s := slices.Clone(v)
	for _, x := range s {
		if math.IsNaN(x) {
			return math.NaN()
		}
	}
	if len(s) == 0 {
		return math.NaN()
	}
	sort.Float64s(s)
	pos := q * float64(len(s)-1)
	lo := int(math.Floor(pos))
	if lo >= len(s)-1 {
		return s[len(s)-1]
	}
	t := pos - float64(lo)
	a, b := s[lo], s[lo+1]
	if t >= 0.5 {
		return b - (b-a)*(1-t)
	}
	return a + (b-a)*t
}
