package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// The NHS.UK design system palette. Every pair of text and background the
// screens use passes WCAG AA (TestContrastAA): white on NHS blue 6.4:1, on
// red 5.1:1, on green 5.1:1; dark text on focus yellow 11.8:1; secondary
// text on white 6.4:1.
var (
	nhsBlue      = rgb(0x00, 0x5E, 0xB8)
	nhsDarkBlue  = rgb(0x00, 0x30, 0x87)
	nhsText      = rgb(0x21, 0x2B, 0x32)
	nhsSecondary = rgb(0x4C, 0x62, 0x72)
	nhsPaleGrey  = rgb(0xF0, 0xF4, 0xF5)
	nhsGrey3     = rgb(0xAE, 0xB7, 0xBD) // borders between panels
	nhsGrey4     = rgb(0xD8, 0xDD, 0xE0) // separators, disabled buttons
	nhsWhite     = rgb(0xFF, 0xFF, 0xFF)
	nhsRed       = rgb(0xD5, 0x28, 0x1B)
	nhsDarkRed   = rgb(0x6B, 0x14, 0x0E) // the red button's shadow
	nhsGreen     = rgb(0x00, 0x7F, 0x3B)
	nhsWarm      = rgb(0xFF, 0xB8, 0x1C)
	nhsPaleWarm  = rgb(0xFF, 0xF9, 0xC4) // amber message background
	nhsFocus     = rgb(0xFF, 0xEB, 0x3B)
	nhsPaleBlue  = rgb(0xE8, 0xF1, 0xFA) // hover on white
	nhsOrange    = rgb(0xED, 0x8B, 0x00) // hover on warm yellow
	nhsPurple    = rgb(0x33, 0x00, 0x72) // the FGM-IS indicator
)

func rgb(r, g, b uint8) color.NRGBA { return color.NRGBA{R: r, G: g, B: b, A: 0xFF} }

// Our own theme names, so RichText segments can ask for the palette's
// secondary text and the dial-from-a-metre size without a custom widget.
const (
	colorSecondary fyne.ThemeColorName = "nhs.secondary"
	colorDarkBlue  fyne.ThemeColorName = "nhs.darkBlue"
	colorWhite     fyne.ThemeColorName = "nhs.white"

	sizeHuge  fyne.ThemeSizeName = "nhs.huge"  // phone numbers
	sizeLarge fyne.ThemeSizeName = "nhs.large" // names, panel titles
)

// Text sizes in px. Body text is larger than a desktop app's so that it
// reads from a metre away on a trolley-mounted screen.
const (
	textBody    = 19
	textHeading = 32
	textLarge   = 24
	textCaption = 16
	textHuge    = 44
	textEntry   = 32 // the NHS number field: the one thing typed on the first screen

	// touchTarget is the least height of anything that can be tapped,
	// comfortably above the 44–48 px a gloved finger needs.
	touchTarget = 56
)

type nhsTheme struct{}

// Theme is the kiosk's light NHS theme. It ignores the system's dark
// variant: the palette and its contrast ratios are fixed by the NHS.UK
// design system, and a clinical screen must look the same on every device.
func Theme() fyne.Theme { return nhsTheme{} }

// colors is the palette by the names the screens and Fyne's widgets ask
// for; any other name gets Fyne's light default.
var colors = map[fyne.ThemeColorName]color.Color{
	theme.ColorNameBackground:          nhsPaleGrey,
	theme.ColorNameForeground:          nhsText,
	theme.ColorNameForegroundOnWarning: nhsText,
	// Fyne's default placeholder grey fails AA; the NHS secondary text passes.
	colorSecondary:                     nhsSecondary,
	theme.ColorNamePlaceHolder:         nhsSecondary,
	theme.ColorNameInputBorder:         nhsSecondary,
	theme.ColorNameDisabled:            nhsSecondary,
	theme.ColorNameScrollBar:           nhsSecondary,
	colorDarkBlue:                      nhsDarkBlue,
	colorWhite:                         nhsWhite,
	theme.ColorNameInputBackground:     nhsWhite,
	theme.ColorNameMenuBackground:      nhsWhite,
	theme.ColorNameOverlayBackground:   nhsWhite,
	theme.ColorNameButton:              nhsWhite,
	theme.ColorNameForegroundOnPrimary: nhsWhite,
	theme.ColorNameForegroundOnError:   nhsWhite,
	theme.ColorNameForegroundOnSuccess: nhsWhite,
	theme.ColorNamePrimary:             nhsBlue,
	theme.ColorNameHyperlink:           nhsBlue,
	theme.ColorNameError:               nhsRed,
	theme.ColorNameSuccess:             nhsGreen,
	theme.ColorNameWarning:             nhsWarm,
	theme.ColorNameFocus:               nhsFocus,
	theme.ColorNameDisabledButton:      nhsGrey4,
	theme.ColorNameSeparator:           nhsGrey4,
	theme.ColorNameHeaderBackground:    nhsGrey4,
	theme.ColorNameSelection:           color.NRGBA{R: 0xFF, G: 0xEB, B: 0x3B, A: 0xC0},
	theme.ColorNameHover:               color.NRGBA{R: 0x00, G: 0x5E, B: 0xB8, A: 0x1F},
	theme.ColorNamePressed:             color.NRGBA{R: 0x00, G: 0x30, B: 0x87, A: 0x40},
	theme.ColorNameScrollBarBackground: color.NRGBA{R: 0xD8, G: 0xDD, B: 0xE0, A: 0x80},
	theme.ColorNameShadow:              color.NRGBA{A: 0x40},
}

func (nhsTheme) Color(n fyne.ThemeColorName, _ fyne.ThemeVariant) color.Color {
	if c, ok := colors[n]; ok {
		return c
	}
	return theme.DefaultTheme().Color(n, theme.VariantLight)
}

func (nhsTheme) Font(s fyne.TextStyle) fyne.Resource { return theme.DefaultTheme().Font(s) }

func (nhsTheme) Icon(n fyne.ThemeIconName) fyne.Resource { return theme.DefaultTheme().Icon(n) }

func (nhsTheme) Size(n fyne.ThemeSizeName) float32 {
	switch n {
	case theme.SizeNameText:
		return textBody
	case theme.SizeNameHeadingText:
		return textHeading
	case theme.SizeNameSubHeadingText, sizeLarge:
		return textLarge
	case theme.SizeNameCaptionText:
		return textCaption
	case sizeHuge:
		return textHuge
	case theme.SizeNamePadding:
		return 6
	case theme.SizeNameInnerPadding:
		// Text is spaced with explicit gaps; controls get their own, larger
		// padding from controlTheme.
		return 4
	case theme.SizeNameLineSpacing:
		return 6
	case theme.SizeNameInlineIcon:
		return 28
	case theme.SizeNameInputBorder:
		return 2
	case theme.SizeNameInputRadius, theme.SizeNameSelectionRadius:
		return 4
	case theme.SizeNameScrollBar:
		return 18 // wide enough to drag with a gloved finger
	case theme.SizeNameScrollBarSmall:
		return 8 // touch screens never hover, so the idle bar must be visible
	}
	return theme.DefaultTheme().Size(n)
}

// controlTheme makes entries and selects at least touchTarget high without
// padding every label on the screen as generously: Fyne derives a field's
// height from the inner padding, which labels share.
type controlTheme struct {
	fyne.Theme
	text float32
}

func (c controlTheme) Size(n fyne.ThemeSizeName) float32 {
	switch n {
	case theme.SizeNameText:
		return c.text
	case theme.SizeNameInnerPadding:
		return 14
	}
	return c.Theme.Size(n)
}
