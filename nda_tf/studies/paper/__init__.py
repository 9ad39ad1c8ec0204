"""The paper's tables: its numbers and ours beside them.

`numbers` holds the paper's numbers (their one home); `tables` turns run
directories into the paper's tables, ours beside the paper's
(`python -m nda_tf.experiments.gather`). The runs come from the shell
recipes, one script per paper row: experiments/gan/ (Tables 1, 2, 3, 8,
Appendix O), experiments/ood/table5.sh (Table 5), experiments/moco/
(Table 6, Figure 9), experiments/pix2pix/ (Table 4), experiments/dpc/
(Table 7); experiments/README.md lists them.
"""
