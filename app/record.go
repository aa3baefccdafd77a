package app

import "github.com/nhs-cpis/kiosk/app/cpis"

// RecordPresentation records a presentation while the Spine is down.
func (k *Kiosk) RecordPresentation(nhsText string, q cpis.SearchQuery) {}

// ShowQueue shows the offline queue.
func (k *Kiosk) ShowQueue() {}

// ShowReview shows the retrospective review list.
func (k *Kiosk) ShowReview() {}

// OpenReview opens one review item.
func (k *Kiosk) OpenReview(id uint64) {}

// SignOff signs off a review item.
func (k *Kiosk) SignOff(id uint64, note string) {}
