"""Claims in the paper's order; importing this package registers them."""
from . import appendix_a, sec3_1_dataset, sec3_entropy, sec3_prompting, sec3_skills, sec4_attention, sec4_gp  # noqa: F401
