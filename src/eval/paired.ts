/**
 * Two classifiers scored on the same clips (the int8 network beside its float model): the accuracy
 * difference and a 95% interval for it. A few hundred clips leave a point or two of sampling noise,
 * and the clips both get right or both get wrong say nothing about the difference, so the interval
 * is Newcombe's for paired proportions (method 10 of his 1998 paired-data paper: Wilson intervals
 * for each accuracy, combined with the correlation of the pairs) rather than one for independent sets.
 */

/** The normal quantile of a two-sided 95% interval. */
const Z95 = 1.959963984540054;

export interface PairedComparison {
  n: number;
  /** Clips only the first classifier gets right, and only the second. */
  firstOnlyRight: number;
  secondOnlyRight: number;
  /** First accuracy − second accuracy. */
  difference: number;
  /** 95% interval of the difference. */
  interval: [number, number];
}

/** Wilson's score interval for a proportion of `successes` in `n` (n > 0). */
export function wilsonInterval(successes: number, n: number, z = Z95): [number, number] {
  const p = successes / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const halfWidth = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / (1 + z2 / n);
  // The bounds are exact at 0 and 1; clamping only removes float error.
  return [Math.max(0, centre - halfWidth), Math.min(1, centre + halfWidth)];
}

/** From the four cells of the paired table: both right, first only, second only, both wrong. */
export function newcombePairedInterval(
  bothRight: number,
  firstOnlyRight: number,
  secondOnlyRight: number,
  bothWrong: number,
): [number, number] {
  const n = bothRight + firstOnlyRight + secondOnlyRight + bothWrong;
  if (n === 0) throw new Error('newcombePairedInterval: no pairs');
  const first = (bothRight + firstOnlyRight) / n;
  const second = (bothRight + secondOnlyRight) / n;
  const [l1, u1] = wilsonInterval(bothRight + firstOnlyRight, n);
  const [l2, u2] = wilsonInterval(bothRight + secondOnlyRight, n);
  const margins =
    (bothRight + firstOnlyRight) *
    (secondOnlyRight + bothWrong) *
    (bothRight + secondOnlyRight) *
    (firstOnlyRight + bothWrong);
  // A margin of zero (one classifier right or wrong everywhere) leaves no correlation to use.
  const phi = margins > 0 ? (bothRight * bothWrong - firstOnlyRight * secondOnlyRight) / Math.sqrt(margins) : 0;
  const difference = first - second;
  const below = Math.sqrt(Math.max(0, (first - l1) ** 2 - 2 * phi * (first - l1) * (u2 - second) + (u2 - second) ** 2));
  const above = Math.sqrt(Math.max(0, (u1 - first) ** 2 - 2 * phi * (u1 - first) * (second - l2) + (second - l2) ** 2));
  return [Math.max(-1, difference - below), Math.min(1, difference + above)];
}

/** The first classifier's predictions against the second's, on the same labelled clips. */
export function comparePaired(
  truth: ArrayLike<number>,
  first: ArrayLike<number>,
  second: ArrayLike<number>,
): PairedComparison {
  const n = truth.length;
  if (n === 0 || first.length !== n || second.length !== n) {
    throw new Error(`comparePaired: ${n} labels, ${first.length} and ${second.length} predictions`);
  }
  let bothRight = 0;
  let firstOnlyRight = 0;
  let secondOnlyRight = 0;
  for (let i = 0; i < n; i++) {
    const firstRight = first[i] === truth[i];
    const secondRight = second[i] === truth[i];
    if (firstRight && secondRight) bothRight++;
    else if (firstRight) firstOnlyRight++;
    else if (secondRight) secondOnlyRight++;
  }
  const bothWrong = n - bothRight - firstOnlyRight - secondOnlyRight;
  return {
    n,
    firstOnlyRight,
    secondOnlyRight,
    difference: (firstOnlyRight - secondOnlyRight) / n,
    interval: newcombePairedInterval(bothRight, firstOnlyRight, secondOnlyRight, bothWrong),
  };
}
