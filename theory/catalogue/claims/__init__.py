"""Claims in the paper's order; importing this package registers them."""
from . import sec3_entropy, sec3_skills, sec3_prompting, sec3_1_dataset, sec4_gp, sec4_attention, appendix_a  # noqa: F401
