package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
)

// The layouts the screens share. Fyne's own would space rows apart, or
// stretch a control across the window.

// columnLayout centres one column no wider than max: lines of text longer
// than that are hard to read on a full HD screen.
type columnLayout struct{ max float32 }

func (c columnLayout) Layout(objs []fyne.CanvasObject, s fyne.Size) {
	w := min(s.Width, c.max)
	for _, o := range objs {
		o.Move(fyne.NewPos((s.Width-w)/2, 0))
		o.Resize(fyne.NewSize(w, s.Height))
	}
}

func (c columnLayout) MinSize(objs []fyne.CanvasObject) fyne.Size { return largest(objs) }

// leftLayout keeps a control at a sensible width, left aligned, as NHS.UK
// forms size an input to what it holds.
type leftLayout struct{ width float32 }

func (l leftLayout) Layout(objs []fyne.CanvasObject, s fyne.Size) {
	for _, o := range objs {
		o.Move(fyne.NewPos(0, 0))
		o.Resize(fyne.NewSize(max(min(s.Width, l.width), o.MinSize().Width), s.Height))
	}
}

func (l leftLayout) MinSize(objs []fyne.CanvasObject) fyne.Size { return largest(objs) }

// largest is the least size that holds each of objs.
func largest(objs []fyne.CanvasObject) fyne.Size {
	var m fyne.Size
	for _, o := range objs {
		m = m.Max(o.MinSize())
	}
	return m
}

func left(obj fyne.CanvasObject, width float32) fyne.CanvasObject {
	return container.New(leftLayout{width}, obj)
}

// tableLayout places a row's cells at fixed fractions of the width, so
// that the rows of the access history line up as a table.
type tableLayout []float32

func (t tableLayout) Layout(objs []fyne.CanvasObject, s fyne.Size) {
	x := float32(0)
	for i, o := range objs {
		w := s.Width * t[i]
		o.Move(fyne.NewPos(x, 0))
		o.Resize(fyne.NewSize(w, s.Height))
		x += w
	}
}

func (t tableLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var h float32
	for _, o := range objs {
		h = max(h, o.MinSize().Height)
	}
	return fyne.NewSize(0, h)
}

// rowsLayout stacks rows with no space between them.
type rowsLayout struct{}

func (rowsLayout) Layout(objs []fyne.CanvasObject, s fyne.Size) {
	y := float32(0)
	for _, o := range objs {
		h := o.MinSize().Height
		o.Move(fyne.NewPos(0, y))
		o.Resize(fyne.NewSize(s.Width, h))
		y += h
	}
}

func (rowsLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var m fyne.Size
	for _, o := range objs {
		ms := o.MinSize()
		m.Width = max(m.Width, ms.Width)
		m.Height += ms.Height
	}
	return m
}

// fixedWidth gives its content exactly one width, whatever room there is:
// the keypad keeps its shape on every screen size.
type fixedWidth struct{ width float32 }

func (f fixedWidth) Layout(objs []fyne.CanvasObject, s fyne.Size) {
	for _, o := range objs {
		o.Move(fyne.NewPos(0, 0))
		o.Resize(fyne.NewSize(f.width, s.Height))
	}
}

func (f fixedWidth) MinSize(objs []fyne.CanvasObject) fyne.Size {
	m := fyne.NewSize(f.width, 0)
	for _, o := range objs {
		m.Height = max(m.Height, o.MinSize().Height)
	}
	return m
}

// widthsLayout lays a row out left to right, each object at its width
// (0: its least width), with the theme's padding between, all as high as
// the tallest.
type widthsLayout []float32

func (l widthsLayout) Layout(objs []fyne.CanvasObject, s fyne.Size) {
	x, gap := float32(0), theme.Padding()*2
	for i, o := range objs {
		w := l[i]
		if w == 0 {
			w = o.MinSize().Width
		}
		o.Move(fyne.NewPos(x, 0))
		o.Resize(fyne.NewSize(w, s.Height))
		x += w + gap
	}
}

func (l widthsLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var w, h float32
	for i, o := range objs {
		m := o.MinSize()
		w += max(l[i], m.Width) + theme.Padding()*2
		h = max(h, m.Height)
	}
	return fyne.NewSize(w, h)
}
