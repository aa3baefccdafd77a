package accountability

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/go-pdf/fpdf"
)

// The readiness page as CSV, as an A4 PDF for the go/no go call, and on a
// terminal.

// WriteReadinessCSV writes the page as CSV.
func WriteReadinessCSV(w io.Writer, items []ReadinessItem, loc *time.Location) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"steps", "item", "title", "status", "evidence", "recorded_by", "recorded_at"})
	for _, it := range items {
		at := ""
		if !it.At.IsZero() {
			at = it.At.In(loc).Format(time.RFC3339)
		}
		cw.Write([]string{it.Steps, it.ID, it.Title, it.Status, it.Evidence, it.By, at})
	}
	cw.Flush()
	return cw.Error()
}

// ReadinessHeader is what the PDF says about where and when.
type ReadinessHeader struct {
	Organisation string
	Setting      string
	At           time.Time
	Creator      string // "cpis-kiosk 0.1.0+abc"
}

// WriteReadinessPDF writes the page as an A4 PDF for the go/no go call.
func WriteReadinessPDF(w io.Writer, items []ReadinessItem, h ReadinessHeader) error {
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetTitle("CP-IS go-live readiness", true)
	pdf.SetCreator(h.Creator, true)
	pdf.SetCreationDate(h.At)
	pdf.SetModificationDate(h.At)
	tr := pdf.UnicodeTranslatorFromDescriptor("") // core fonts are cp1252
	pdf.SetMargins(18, 18, 18)
	pdf.SetAutoPageBreak(true, 18)
	pdf.AliasNbPages("")
	pdf.SetFooterFunc(func() {
		pdf.SetY(-14)
		pdf.SetFont("Helvetica", "", 8)
		pdf.SetTextColor(0x4c, 0x62, 0x72)
		pdf.CellFormat(0, 6, tr(fmt.Sprintf("CP-IS go-live readiness · %s · page %d of {nb}", h.At.Format(EvidenceTime), pdf.PageNo())),
			"", 0, "C", false, 0, "")
	})
	pdf.AddPage()
	width, _ := pdf.GetPageSize()
	left, _, right, _ := pdf.GetMargins()
	text := width - left - right

	pdf.SetFillColor(0x00, 0x5e, 0xb8)
	pdf.SetTextColor(0xff, 0xff, 0xff)
	pdf.SetFont("Helvetica", "B", 18)
	pdf.CellFormat(text, 12, tr("CP-IS go-live readiness"), "", 1, "L", true, 0, "")
	pdf.Ln(2)
	pdf.SetTextColor(0x21, 0x2b, 0x32)
	pdf.SetFont("Helvetica", "", 11)
	pdf.MultiCell(text, 5.5, tr(fmt.Sprintf("%s · %s\nEvidence as at %s. The guide's step 25: \"Do not go live without having this call.\"",
		h.Organisation, h.Setting, h.At.Format(EvidenceTime))), "", "L", false)
	pdf.Ln(2)
	pdf.SetFont("Helvetica", "B", 12)
	pdf.MultiCell(text, 6, tr(fmt.Sprintf("%d of %d items ready", Ready(items), len(items))), "", "L", false)
	pdf.Ln(3)

	for _, it := range items {
		if pdf.GetY() > 260 {
			pdf.AddPage()
		}
		switch it.Status {
		case StatusReady:
			pdf.SetFillColor(0x00, 0x7f, 0x3b)
		case StatusNotChecked:
			pdf.SetFillColor(0xff, 0xb8, 0x1c)
		default:
			pdf.SetFillColor(0xd5, 0x28, 0x1b)
		}
		y := pdf.GetY()
		pdf.Rect(left, y, 2, 6, "F")
		pdf.SetX(left + 4)
		pdf.SetFont("Helvetica", "B", 11)
		pdf.SetTextColor(0x21, 0x2b, 0x32)
		status := strings.ToUpper(it.Status)
		sw := pdf.GetStringWidth(status) + 4
		title := tr(it.Steps + " · " + it.Title)
		// A long title gives way to the status, never runs into it.
		for size := 11.0; pdf.GetStringWidth(title) > text-6-sw && size > 7; size -= 0.5 {
			pdf.SetFontSize(size)
		}
		pdf.CellFormat(text-4-sw, 6, title, "", 0, "L", false, 0, "")
		pdf.SetFontSize(11)
		pdf.CellFormat(sw, 6, status, "", 1, "R", false, 0, "")
		pdf.SetX(left + 4)
		pdf.SetFont("Helvetica", "", 10)
		pdf.SetTextColor(0x4c, 0x62, 0x72)
		pdf.MultiCell(text-4, 5, tr(it.Evidence), "", "L", false)
		pdf.Ln(2.5)
	}
	if err := pdf.Error(); err != nil {
		return fmt.Errorf("writing readiness PDF: %w", err)
	}
	return pdf.Output(w)
}

// PrintReadiness is the page on a terminal.
func PrintReadiness(out io.Writer, items []ReadinessItem) {
	for _, it := range items {
		fmt.Fprintf(out, "%-11s  %-16s  %s\n%13s %s\n", strings.ToUpper(it.Status), it.Steps, it.Title, "", it.Evidence)
	}
	fmt.Fprintf(out, "%s of %d items ready\n", strconv.Itoa(Ready(items)), len(items))
}
