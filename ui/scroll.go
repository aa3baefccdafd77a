package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
)

// Keyboard users scroll long screens with Page Up and Page Down and the
// arrow keys, and see the control Tab takes them to: nothing on a screen
// is out of reach of the keyboard.

// scrollKey scrolls the screen's content for Page Up, Page Down, Up and
// Down, and reports whether it took the key. The arrows stay with a
// drop-down, which uses them.
func (w *Window) scrollKey(ev *fyne.KeyEvent) bool {
	if w.scroll == nil {
		return false
	}
	page := w.scroll.Size().Height * 0.9
	var dy float32
	switch ev.Name {
	case fyne.KeyPageDown:
		dy = page
	case fyne.KeyPageUp:
		dy = -page
	case fyne.KeyDown, fyne.KeyUp:
		if _, ok := w.win.Canvas().Focused().(*choiceSelect); ok {
			return false
		}
		dy = 48
		if ev.Name == fyne.KeyUp {
			dy = -dy
		}
	default:
		return false
	}
	w.scrollTo(w.scroll.Offset.Y + dy)
	return true
}

// reveal scrolls the screen's content so that obj, when it is part of it,
// is in view with a margin.
func (w *Window) reveal(obj fyne.CanvasObject) {
	s := w.scroll
	if s == nil || s.Content == nil {
		return
	}
	d := fyne.CurrentApp().Driver()
	top := d.AbsolutePositionForObject(obj).Y - d.AbsolutePositionForObject(s.Content).Y
	h, view := obj.Size().Height, s.Size().Height
	if top < 0 || top > s.Content.MinSize().Height || !inside(s.Content, obj) {
		return // not in the scrolling content: the action bar, the banner
	}
	const margin = 12
	switch {
	case top < s.Offset.Y:
		w.scrollTo(top - margin)
	case top+h > s.Offset.Y+view:
		w.scrollTo(top + h - view + margin)
	}
}

// scrollTo sets the content's offset, kept within the content.
func (w *Window) scrollTo(y float32) {
	s := w.scroll
	most := max(0, s.Content.MinSize().Height-s.Size().Height)
	s.Offset.Y = min(max(0, y), most)
	s.Refresh()
}

// inside reports whether obj is root or within it, through the kiosk's
// containers.
func inside(root, obj fyne.CanvasObject) bool {
	switch c := root.(type) {
	case nil:
		return false
	case *fyne.Container:
		for _, o := range c.Objects {
			if inside(o, obj) {
				return true
			}
		}
	case *container.Scroll:
		return inside(c.Content, obj)
	case *container.ThemeOverride:
		return inside(c.Content, obj)
	}
	return root == obj
}
