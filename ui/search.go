package ui

import (
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"

	"github.com/nhs-cpis/kiosk/cpis"
)

// genders are the select's options, in the order PDS lists them, with the
// code each stands for.
var genders = []struct {
	words string
	code  cpis.Gender
}{
	{"Female", cpis.Female},
	{"Male", cpis.Male},
	{"Other", cpis.Other},
	{"Unknown", cpis.Unknown},
}

// searchForm is the demographic search. Its fields live across renders
// like the NHS number field, and it checks the date itself: reading what
// was typed is drawing, and the app should get a SearchQuery, not text.
type searchForm struct {
	w                              *Window
	act                            CheckActions
	family, given, birth, postcode *textField
	gender                         *choiceSelect
	familyErr, birthErr            string
}

func newSearchForm(w *Window, act CheckActions) *searchForm {
	f := &searchForm{w: w, act: act}
	field := func(id string) *textField {
		t := w.textField(id, textBody)
		t.OnSubmitted = func(string) { f.submit() }
		return t
	}
	f.family, f.given, f.birth, f.postcode = field("family"), field("given"), field("birth"), field("postcode")
	f.birth.PlaceHolder = "DD/MM/YYYY"
	opts := make([]string, len(genders))
	for i, g := range genders {
		opts[i] = g.words
	}
	f.gender = newChoiceSelect("gender", opts, w.key)
	f.gender.PlaceHolder = "Not given"
	f.gender.onEnter = f.submit
	return f
}

// load puts q in the fields and clears any error shown.
func (f *searchForm) load(q cpis.SearchQuery) {
	f.family.SetText(q.Family)
	f.given.SetText(q.Given)
	f.birth.SetText(formatDateInput(q.BirthDate))
	f.postcode.SetText(q.Postcode)
	f.gender.ClearSelected()
	for _, g := range genders {
		if g.code == q.Gender {
			f.gender.SetSelected(g.words)
		}
	}
	f.familyErr, f.birthErr = "", ""
	f.family.setInvalid(false)
	f.birth.setInvalid(false)
}

// submit sends the query, or redraws the form with what is missing and
// focuses the first field to fix.
func (f *searchForm) submit() {
	w := f.w
	if w.view.Screen != ScreenSearch || w.view.Busy.Active {
		return
	}
	q := cpis.SearchQuery{
		Family:   strings.TrimSpace(f.family.Text),
		Given:    strings.TrimSpace(f.given.Text),
		Postcode: strings.ToUpper(strings.TrimSpace(f.postcode.Text)),
	}
	for _, g := range genders {
		if g.words == f.gender.Selected {
			q.Gender = g.code
		}
	}
	q.BirthDate, f.birthErr = parseDate(f.birth.Text, w.view.Now)
	f.familyErr = ""
	if q.Family == "" {
		f.familyErr = "Enter the family name"
	}
	f.family.setInvalid(f.familyErr != "")
	f.birth.setInvalid(f.birthErr != "")
	if f.familyErr == "" && f.birthErr == "" {
		if w.view.Downtime != nil {
			// Replay searches PDS with these details later, so they are
			// checked now as they would be for a search.
			f.act.RecordPresentation("", q)
			return
		}
		f.act.Search(q)
		return
	}
	w.Render(w.view)
	first := f.family
	if f.familyErr == "" {
		first = f.birth
	}
	first.selectAll()
	w.win.Canvas().Focus(first)
}

func sameQuery(a, b cpis.SearchQuery) bool {
	return a.Family == b.Family && a.Given == b.Given && a.BirthDate.Equal(b.BirthDate) &&
		a.Gender == b.Gender && a.Postcode == b.Postcode
}

func (w *Window) searchPage(v View) page {
	f := w.search
	for _, c := range []identified{f.family, f.given, f.birth, f.postcode, f.gender} {
		enable(c, !v.Busy.Active)
		w.register(c)
	}

	group := func(label, errText string, control fyne.CanvasObject) fyne.CanvasObject {
		parts := []fyne.CanvasObject{bold(label)}
		if errText != "" {
			parts = append(parts, warning(errText))
		}
		parts = append(parts, control)
		return container.NewVBox(parts...)
	}
	form := container.NewVBox(
		container.NewGridWithColumns(2,
			group("Family name", f.familyErr, f.family.view),
			group("Given name (optional)", "", f.given.view)),
		container.NewGridWithColumns(3,
			group("Date of birth (DD/MM/YYYY)", f.birthErr, f.birth.view),
			group("Gender (optional)", "", f.gender.view),
			group("Postcode (optional)", "", f.postcode.view)),
	)
	title, primary := "Search by details", "Search  (Enter)"
	if v.Downtime != nil {
		title, primary = "Record by details", "Record presentation  (Enter)"
	}
	return page{
		heading: title,
		content: form,
		actions: []fyne.CanvasObject{
			w.button("search", primary, lookPrimary, f.submit),
			w.back(lookSecondary),
		},
	}
}

// resultsPage lists the matches as big rows: choosing the right child is
// the step most easily got wrong, so each row shows everything that tells
// two children apart.
func (w *Window) resultsPage(v View, act CheckActions) page {
	var title string
	switch n := len(v.Matches); n {
	case 0:
		title = "No matching patients"
	case 1:
		title = "1 matching patient"
	default:
		title = strconv.Itoa(n) + " matching patients"
	}
	rows := []fyne.CanvasObject{}
	if len(v.Matches) == 0 && v.Message == nil {
		rows = append(rows, para("No patient matches those details. Check the spelling and the date of birth, or go back and trace by NHS number."))
	}
	for i, m := range v.Matches {
		rows = append(rows, w.matchRow(i, m, v, act))
	}
	var lead fyne.CanvasObject
	if len(v.Matches) > 0 {
		lead = secondary("Choose the patient who has presented.")
	}
	return page{
		heading: title,
		lead:    lead,
		content: container.NewVBox(rows...),
		actions: []fyne.CanvasObject{w.back(lookSecondary)},
	}
}

func (w *Window) matchRow(i int, m Match, v View, act CheckActions) fyne.CanvasObject {
	details := rich(
		factLabel("Born "), factValue(bornWithAge(m.BirthDate, v.Now)),
		factLabel("    Gender "), factValue(genderWords(m.Gender)),
		factLabel("    Postcode "), factValue(orNotKnown(m.Postcode)),
		factLabel("    NHS number "), factValue(m.NHS.String()),
	)
	content := container.NewVBox(large(m.Name, theme.ColorNameForeground), details)
	nhs := m.NHS
	return below(w.row("match-"+strconv.Itoa(i), content, func() { act.Choose(nhs) }, v.Busy.Active), 6)
}
