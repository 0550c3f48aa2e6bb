//! Largest-remainder allocation of an exact amount over weights, in units of 10⁻¹² USD.
//!
//! Each part gets the floor of its exact share; the units left over go one each to the parts
//! with the largest remainders (ties to the earlier part). The parts sum to the total exactly,
//! and each is within one unit of its exact share.

/// Splits `total` (a scale-12 mantissa, any sign) over non-negative `weights`. With all weights
/// zero the split is equal. `None` when the arithmetic would overflow (never in practice: totals
/// are at most 10³⁸ and weights at most 10¹⁹ per line of usage).
pub fn largest_remainder(total: i128, weights: &[i128]) -> Option<Vec<i128>> {
    if weights.is_empty() {
        return Some(Vec::new());
    }
    let weights: Vec<i128> = if weights.iter().all(|w| *w == 0) { vec![1; weights.len()] } else { weights.to_vec() };
    let sum: i128 = weights.iter().try_fold(0i128, |a, w| a.checked_add(*w))?;
    let magnitude = total.checked_abs()?;
    let mut parts = Vec::with_capacity(weights.len());
    let mut remainders = Vec::with_capacity(weights.len());
    let mut given = 0i128;
    for w in &weights {
        // magnitude × w / sum, without overflow: split magnitude into quotient and remainder by sum.
        let (q, r) = (magnitude / sum, magnitude % sum);
        let whole = q.checked_mul(*w)?;
        let frac_num = r.checked_mul(*w)?;
        let part = whole.checked_add(frac_num / sum)?;
        remainders.push(frac_num % sum);
        given = given.checked_add(part)?;
        parts.push(part);
    }
    let mut left = magnitude - given;
    let mut order: Vec<usize> = (0..parts.len()).collect();
    order.sort_by(|&a, &b| remainders[b].cmp(&remainders[a]).then(a.cmp(&b)));
    for &i in order.iter().cycle() {
        if left == 0 {
            break;
        }
        parts[i] += 1;
        left -= 1;
    }
    if total < 0 {
        parts.iter_mut().for_each(|p| *p = -*p);
    }
    Some(parts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn small_cases() {
        assert_eq!(largest_remainder(10, &[1, 1, 1]).unwrap(), vec![4, 3, 3]);
        assert_eq!(largest_remainder(-10, &[1, 1, 1]).unwrap(), vec![-4, -3, -3]);
        assert_eq!(largest_remainder(7, &[0, 0]).unwrap(), vec![4, 3], "all-zero weights split equally");
        assert_eq!(largest_remainder(100, &[3, 0, 1]).unwrap(), vec![75, 0, 25]);
        assert_eq!(largest_remainder(0, &[5, 5]).unwrap(), vec![0, 0]);
    }

    proptest! {
        /// Parts add up to the total to the last unit, each within one unit of its exact share.
        #[test]
        fn parts_sum_to_the_total_exactly(total in -10i128.pow(30)..10i128.pow(30), weights in proptest::collection::vec(0i128..10i128.pow(18), 1..40)) {
            let parts = largest_remainder(total, &weights).unwrap();
            prop_assert_eq!(parts.iter().sum::<i128>(), total);
            let sum: i128 = weights.iter().sum();
            if sum > 0 {
                for (p, w) in parts.iter().zip(&weights) {
                    // |p × sum − total × w| < sum, computed without overflow via the remainder form.
                    let exact_floor = (total.abs() / sum) * w + (total.abs() % sum) * w / sum;
                    prop_assert!((p.abs() - exact_floor).abs() <= 1, "part {} vs floor {}", p, exact_floor);
                }
            }
        }
    }
}
