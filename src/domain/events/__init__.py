"""Station events and status: what stations report (boot, status, firmware and diagnostics
progress, vendor data), their connection (admission, presence across nodes), the event feed
and live status."""
