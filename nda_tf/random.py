"""Stateless random draws shared by the transforms, the GAN and MoCo.

Every sampler takes a `[2]` integer seed and draws with TensorFlow's stateless
ops, so the same seed gives the same numbers eagerly, inside `tf.function`,
under XLA and in `tf.data`; `replica_seed` gives each replica its own numbers.
None of them loops over images.
"""

import math
import numbers

import tensorflow as tf

# Candidates per Gamma draw: all are rejected with probability < 0.05**8.
_GAMMA_TRIES = 8
# n! must fit in int64 to draw a permutation's rank: n <= 20.
MAX_PERMUTATION_SIZE = 20


# One fixed algorithm: the default ("auto_select") may pick another generator
# under XLA. Even with Philox fixed, XLA turns random bits into floats
# differently from TensorFlow's kernels, so floats are made here from raw bits
# (which agree everywhere) to give the same draws eagerly and under XLA.
ALGORITHM = "philox"
_FLOAT_BITS = 24  # uniform floats on a 2**-24 grid: exact in float32
_BELOW_ONE = 1.0 - 2.0**-24  # the largest float32 below 1


def _unit_floats(shape, seed):
    """Floats uniform on (0, 1): see `_unit_floats_of_bits`."""
    bits = tf.random.stateless_uniform(
        shape, seed, minval=None, maxval=None, dtype=tf.uint32, alg=ALGORITHM
    )
    return _unit_floats_of_bits(bits)


def _unit_floats_of_bits(bits):
    """`(k + 1/2) * 2**-24` for the top 24 bits k of each uint32, in
    float32: exact below 1/2; above it `k + 1/2` needs a 25th bit and
    rounds to an even neighbour. The top value would round to 1.0 (once in
    2**24 draws; a caller's `floor(u * n)` would then give n), so it is
    held at the largest float32 below 1: strictly inside (0, 1)."""
    top = tf.bitwise.right_shift(bits, 32 - _FLOAT_BITS)
    unit = (tf.cast(top, tf.float32) + 0.5) * (2.0**-_FLOAT_BITS)
    return tf.minimum(unit, _BELOW_ONE)


def uniform(shape, seed, minval=0, maxval=None, dtype=tf.float32):
    """Uniform draws in `[minval, maxval)`; same values eagerly and in XLA.

    Integer dtypes need `maxval`; floats default to `[0, 1)`.
    """
    dtype = tf.as_dtype(dtype)
    if dtype.is_integer:
        return tf.random.stateless_uniform(
            shape,
            seed,
            minval=minval,
            maxval=maxval,
            dtype=dtype,
            alg=ALGORITHM,
        )
    maxval = 1.0 if maxval is None else maxval
    unit = _unit_floats(shape, seed)
    return tf.cast(minval + unit * (maxval - minval), dtype)


def normal(shape, seed, dtype=tf.float32):
    """Standard normal draws; same values eagerly and in XLA.

    Box-Muller, using both outputs of each pair of uniforms so that random
    bits (the cost of this op on a CPU) are drawn once per value.
    """
    shape = tf.cast(tf.convert_to_tensor(shape), tf.int32)
    count = tf.reduce_prod(shape)
    pairs = (count + 1) // 2
    radius_seed, angle_seed = split_seed(seed, 2)
    radius = tf.sqrt(-2.0 * tf.math.log(_unit_floats([pairs], radius_seed)))
    angle = (2.0 * math.pi) * _unit_floats([pairs], angle_seed)
    values = tf.concat([radius * tf.cos(angle), radius * tf.sin(angle)], 0)
    return tf.cast(tf.reshape(values[:count], shape), dtype)


def as_seed(seed):
    """Any accepted seed as a `[2]` int64 tensor.

    A Python (or NumPy) int `s` becomes `[s, 0]`; a pair of ints (list, tuple,
    array or tensor of any integer dtype) is cast to int64 as it is.
    """
    if isinstance(seed, numbers.Integral) and not isinstance(seed, bool):
        return tf.constant([seed, 0], tf.int64)
    pair = tf.convert_to_tensor(seed)
    if (
        not pair.dtype.is_integer
        or pair.shape.rank != 1
        or (pair.shape[0] not in (2, None))
    ):
        raise ValueError(
            "a seed must be an int or a pair of ints, received "
            f"{pair.dtype.name} of shape {pair.shape}: {seed!r}"
        )
    return tf.cast(pair, tf.int64)


def split_seed(seed, num):
    """Returns `num` independent `[2]` seeds derived from `seed`."""
    seeds = tf.random.experimental.stateless_split(seed, num=num, alg=ALGORITHM)
    return tf.unstack(seeds, num=num)


def replica_seed(seed):
    """`seed` as int64, with the replica id folded in under a strategy.

    Seed generators hold the same state on every replica; folding in the
    replica id makes each replica draw its own numbers.
    """
    seed = tf.cast(seed, tf.int64)
    context = tf.distribute.get_replica_context()
    if context is not None and context.num_replicas_in_sync > 1:
        replica = tf.cast(context.replica_id_in_sync_group, tf.int64)
        seed = fold_in(seed, replica)
    return seed


def fold_in(seed, data):
    """Mixes the integer `data` into `seed`."""
    return tf.random.experimental.stateless_fold_in(seed, data, alg=ALGORITHM)


def derangement(batch_size, seed):
    """A random permutation of `range(batch_size)` without fixed points.

    The batch is put in a random order and each image takes as partner the
    image `k` places later in that order (cyclically), with `k` uniform in
    `[1, batch_size - 1]`. Every image's partner is therefore uniform over the
    other images, and no image is ever paired with itself.

    Args:
        batch_size: scalar int32 tensor, at least 2.
        seed: `[2]` integer seed.

    Returns:
        int32 tensor `[batch_size]`: `partner[i]` is the index paired with `i`.
    """
    order_seed, shift_seed = split_seed(seed, 2)
    order = tf.argsort(uniform([batch_size], order_seed), stable=True)
    shift = uniform(
        [],
        shift_seed,
        minval=1,
        maxval=tf.maximum(batch_size, 2),
        dtype=tf.int32,
    )
    shifted = tf.roll(order, shift=-shift, axis=0)
    # Position order[j] is paired with shifted[j]; scatter back to batch order.
    return tf.scatter_nd(order[:, None], shifted, [batch_size])


def permutations(batch_size, size, seed, exclude_identity=True):
    """Per-row uniform random permutations of `range(size)`.

    A permutation is drawn by its rank in lexicographic order (uniform over
    all `size!` ranks, or all but rank 0, the identity) and decoded from its
    factorial-base digits, so excluding the identity needs no rejection loop.

    Returns:
        int32 tensor `[batch_size, size]`.
    """
    if not 2 <= size <= MAX_PERMUTATION_SIZE:
        raise ValueError(
            f"permutation size must be in [2, {MAX_PERMUTATION_SIZE}], "
            f"received {size}"
        )
    rank = uniform(
        [batch_size],
        seed,
        minval=1 if exclude_identity else 0,
        maxval=math.factorial(size),
        dtype=tf.int64,
    )
    free = tf.ones([batch_size, size], tf.int64)
    picks = []
    for position in range(size):
        weight = math.factorial(size - 1 - position)
        digit = rank // weight
        rank = rank % weight
        # The digit-th still-free element (0-based) is the next one.
        rank_among_free = tf.cumsum(free, axis=1) - 1
        hit = tf.logical_and(free > 0, rank_among_free == digit[:, None])
        pick = tf.argmax(tf.cast(hit, tf.int32), axis=1, output_type=tf.int32)
        picks.append(pick)
        free -= tf.one_hot(pick, size, dtype=tf.int64)
    return tf.stack(picks, axis=1)


def symmetric_beta(batch_size, alpha, seed):
    """Draws `[batch_size]` float32 samples of Beta(alpha, alpha).

    `X / (X + Y)` for independent Gamma(alpha) draws `X`, `Y`, computed from
    their logarithms so that small `alpha` cannot underflow. Unlike
    `tf.random.stateless_gamma`, this compiles with XLA on every device.
    """
    x_seed, y_seed = split_seed(seed, 2)
    log_x = _log_gamma_draws(batch_size, alpha, x_seed)
    log_y = _log_gamma_draws(batch_size, alpha, y_seed)
    return tf.sigmoid(log_x - log_y)


def _log_gamma_draws(batch_size, alpha, seed):
    """log of Gamma(alpha, 1) draws by Marsaglia and Tsang's method (2000).

    Rejection sampling without a loop: `_GAMMA_TRIES` candidates per draw are
    made at once and the first accepted one is kept. Each is accepted with
    probability above 0.95 (alpha >= 1), so all fail with probability below
    1e-10; then the last candidate is used. For alpha < 1 the draw is
    Gamma(alpha + 1) * U**(1/alpha).
    """
    boosted = alpha < 1.0
    shape_param = alpha + 1.0 if boosted else float(alpha)
    d = shape_param - 1.0 / 3.0
    c = 1.0 / math.sqrt(9.0 * d)
    normal_seed, accept_seed, boost_seed = split_seed(seed, 3)
    x = normal([_GAMMA_TRIES, batch_size], normal_seed)
    v = (1.0 + c * x) ** 3
    positive = v > 0
    log_v = tf.math.log(tf.where(positive, v, 1.0))
    log_u = tf.math.log(_unit_floats([_GAMMA_TRIES, batch_size], accept_seed))
    accepted = positive & (log_u < 0.5 * x * x + d - d * v + d * log_v)
    accepted = tf.concat([accepted[:-1], tf.ones_like(accepted[-1:])], 0)
    first = tf.argmax(tf.cast(accepted, tf.int32), axis=0, output_type=tf.int32)
    log_draw = (
        math.log(d)
        + tf.gather(tf.transpose(log_v), first[:, None], batch_dims=1)[:, 0]
    )
    if boosted:
        log_u = tf.math.log(_unit_floats([batch_size], boost_seed))
        log_draw += log_u / alpha
    return log_draw


def uniform_int(shape, seed, low, high):
    """Integers uniform in `[low, high]` (both inclusive; tensors allowed)."""
    unit = uniform(shape, seed)
    low = tf.cast(low, tf.float32)
    span = tf.cast(high, tf.float32) - low + 1.0
    value = tf.floor(low + unit * span)
    return tf.cast(tf.minimum(value, tf.cast(high, tf.float32)), tf.int32)


def boxes(batch_size, height, width, seed):
    """Rectangles with sides in [1/3, 1/2] of the image, placed inside it.

    Heights are uniform integers in `[ceil(H/3), floor(H/2)]`, widths likewise,
    and the top-left corner is uniform over the positions that keep the
    rectangle inside the image.

    Returns:
        int32 tensor `[batch_size, 4]` of `(top, left, box_height, box_width)`.
    """
    h_seed, w_seed, top_seed, left_seed = split_seed(seed, 4)
    box_h = uniform_int([batch_size], h_seed, -(-height // 3), height // 2)
    box_w = uniform_int([batch_size], w_seed, -(-width // 3), width // 2)
    top = uniform_int([batch_size], top_seed, 0, height - box_h)
    left = uniform_int([batch_size], left_seed, 0, width - box_w)
    return tf.stack([top, left, box_h, box_w], axis=1)


def box_mask(box, height, width):
    """Boolean `[B, H, W, 1]` mask that is True inside each image's box."""
    top, left, box_h, box_w = tf.unstack(box, num=4, axis=1)
    rows = tf.range(height)[None, :]
    cols = tf.range(width)[None, :]
    in_rows = (rows >= top[:, None]) & (rows < (top + box_h)[:, None])
    in_cols = (cols >= left[:, None]) & (cols < (left + box_w)[:, None])
    return (in_rows[:, :, None] & in_cols[:, None, :])[..., None]
