package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// seg is one run of styled text for rich().
func seg(s string, size fyne.ThemeSizeName, col fyne.ThemeColorName, bold bool) *widget.TextSegment {
	return &widget.TextSegment{Text: s, Style: widget.RichTextStyle{
		Inline: true, SizeName: size, ColorName: col, TextStyle: fyne.TextStyle{Bold: bold},
	}}
}

// factLabel and factValue are the two halves of a fact in a line of facts,
// "Born 02 Mar 2015": the label quiet, the value bold.
func factLabel(s string) *widget.TextSegment {
	return seg(s, theme.SizeNameText, colorSecondary, false)
}

func factValue(s string) *widget.TextSegment {
	return seg(s, theme.SizeNameText, theme.ColorNameForeground, true)
}

// rich joins segments into one wrapping paragraph.
func rich(segs ...*widget.TextSegment) *widget.RichText {
	rs := make([]widget.RichTextSegment, len(segs))
	for i, s := range segs {
		rs[i] = s
	}
	t := widget.NewRichText(rs...)
	t.Wrapping = fyne.TextWrapWord
	return t
}

func text(s string, size fyne.ThemeSizeName, col fyne.ThemeColorName, bold bool) *widget.RichText {
	return rich(seg(s, size, col, bold))
}

func para(s string) *widget.RichText {
	return text(s, theme.SizeNameText, theme.ColorNameForeground, false)
}

func bold(s string) *widget.RichText {
	return text(s, theme.SizeNameText, theme.ColorNameForeground, true)
}

func secondary(s string) *widget.RichText { return text(s, theme.SizeNameText, colorSecondary, false) }

func heading(s string) *widget.RichText {
	return text(s, theme.SizeNameHeadingText, theme.ColorNameForeground, true)
}

func large(s string, col fyne.ThemeColorName) *widget.RichText { return text(s, sizeLarge, col, true) }

// warning is a sentence in bold red: what cannot be done, and why.
func warning(s string) *widget.RichText {
	return text(s, theme.SizeNameText, theme.ColorNameError, true)
}

// retext changes the words of a text made by text(), and their style, and
// reports whether the words changed.
func retext(t *widget.RichText, s string, col fyne.ThemeColorName, bold bool) bool {
	sg := t.Segments[0].(*widget.TextSegment)
	if sg.Text == s {
		return false
	}
	sg.Text, sg.Style.ColorName, sg.Style.TextStyle.Bold = s, col, bold
	t.Refresh()
	return true
}

// line is one line of text that is cut with an ellipsis rather than wrapped,
// for table cells and the banner, whose height must not jump.
func line(s string, col fyne.ThemeColorName, bold bool) *widget.RichText {
	t := text(s, theme.SizeNameText, col, bold)
	t.Wrapping = fyne.TextWrapOff
	t.Truncation = fyne.TextTruncateEllipsis
	return t
}

// boldText is a bold canvas.Text, for the text of buttons and markers and for
// labels placed where a wrapping text would be given no width.
func boldText(s string, col color.Color, size float32) *canvas.Text {
	t := canvas.NewText(s, col)
	t.TextSize = size
	t.TextStyle.Bold = true
	return t
}
