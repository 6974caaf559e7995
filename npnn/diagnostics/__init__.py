"""What happens inside a network while it trains: per-layer statistics, verdicts and the monitor that
gathers them through module and tensor hooks (sampled, detachable). NumPy only, no UI."""
from npnn.diagnostics.stats import InsideSample, LayerStats
from npnn.diagnostics.verdicts import Verdict, headline, verdict

__all__ = ["InsideSample", "LayerStats", "Verdict", "headline", "verdict"]
