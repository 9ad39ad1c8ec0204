"""SavedModel export of NDA discriminators (as OOD detectors), generators,
Pix2Pix translators and encoders (MoCo images, DPC clips).

The exporters write TF Serving's layout, `DIR/<model_name>/<version>/`,
with warm-up requests in `assets.extra/` and a `metadata.json` asset. See
docs/export.md.
"""

from nda_tf.export.calibration import fit_logistic, threshold_at_tpr
from nda_tf.export.detector import OODDetector
from nda_tf.export.encoder import EncoderServable, export_encoder
from nda_tf.export.generator import GeneratorSampler, export_generator
from nda_tf.export.ood import export_ood_detector
from nda_tf.export.servable import read_metadata, read_warmup_requests
from nda_tf.export.translator import Translator, export_translator

__all__ = [
    "EncoderServable",
    "export_encoder",
    "GeneratorSampler",
    "OODDetector",
    "export_generator",
    "export_ood_detector",
    "fit_logistic",
    "read_metadata",
    "read_warmup_requests",
    "threshold_at_tpr",
    "Translator",
    "export_translator",
]
