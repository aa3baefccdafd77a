package ui

import (
	"image/color"
	"math"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// luminance and contrast follow WCAG 2.1, "relative luminance" and
// "contrast ratio".
func luminance(c color.Color) float64 {
	r, g, b, _ := c.RGBA()
	lin := func(v uint32) float64 {
		s := float64(v) / 0xFFFF
		if s <= 0.03928 {
			return s / 12.92
		}
		return math.Pow((s+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(r) + 0.7152*lin(g) + 0.0722*lin(b)
}

func contrast(a, b color.Color) float64 {
	la, lb := luminance(a), luminance(b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

// Every text colour on every background it is drawn on passes WCAG AA
// (4.5:1 for body text).
func TestContrastAA(t *testing.T) {
	th := Theme()
	c := func(n fyne.ThemeColorName) color.Color { return th.Color(n, theme.VariantLight) }
	for _, p := range []struct {
		name   string
		fg, bg color.Color
	}{
		{"text on background", c(theme.ColorNameForeground), c(theme.ColorNameBackground)},
		{"text on panel", nhsText, nhsWhite},
		{"secondary on background", c(colorSecondary), c(theme.ColorNameBackground)},
		{"secondary on panel", c(colorSecondary), nhsWhite},
		{"placeholder on input", c(theme.ColorNamePlaceHolder), c(theme.ColorNameInputBackground)},
		{"white on NHS blue (banner, primary button)", nhsWhite, nhsBlue},
		{"white on dark blue (hovered button)", nhsWhite, nhsDarkBlue},
		{"white on red (alert band, warning button, spine down)", nhsWhite, nhsRed},
		{"white on green (spine live)", nhsWhite, nhsGreen},
		{"text on warm yellow (counts, demo)", nhsText, nhsWarm},
		{"text on orange (hovered count)", nhsText, nhsOrange},
		{"text on focus yellow", nhsText, nhsFocus},
		{"secondary on focus yellow (result rows)", nhsSecondary, nhsFocus},
		{"blue on white (secondary button)", nhsBlue, nhsWhite},
		{"red on white (errors, restricted)", c(theme.ColorNameError), nhsWhite},
		{"green on white (no alert)", c(theme.ColorNameSuccess), nhsWhite},
		{"text on pale warm (amber message)", nhsText, nhsPaleWarm},
		{"secondary on disabled button", nhsSecondary, nhsGrey4},
	} {
		if r := contrast(p.fg, p.bg); r < 4.5 {
			t.Errorf("%s: contrast %.2f:1, below 4.5:1", p.name, r)
		}
	}
}

func TestThemeSizes(t *testing.T) {
	th := Theme()
	if s := th.Size(theme.SizeNameText); s < 18 || s > 20 {
		t.Errorf("body text %v px, want about 19", s)
	}
	if s := th.Size(theme.SizeNameHeadingText); s < 30 {
		t.Errorf("headings %v px, want about 32", s)
	}
	if th.Color(theme.ColorNameFocus, theme.VariantDark) != nhsFocus {
		t.Error("the dark variant does not keep the NHS palette")
	}
}
