"""The publication benchmark runs end to end on a small size."""

from __future__ import annotations

import pytest

from bench import publication


@pytest.mark.nodb
def test_publication_benchmark_small(capsys):
    result = publication.main(["--meetings", "6", "--sectors", "2", "--delegations", "3"])
    out = capsys.readouterr().out
    assert "Publication benchmark: 6 bilaterals" in out and "machine:" in out
    assert result.counts["emails_queued"] == 5 == result.counts["emails_sent"]
    assert result.counts["agendas"] == 2 + 3 + 2 + 1
    assert result.counts["documents_rendered"] == 8 * 5
    assert set(result.timings) >= {"publish_and_queue", "render_every_format", "dispatch_eml"}
