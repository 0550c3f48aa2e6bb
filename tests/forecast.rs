//! The forecast against values worked out by hand: the month to date of settled days, an
//! unsettled yesterday apart, gaps inside the covered window at $0, a frame that stops short of
//! today refused (naming its last day), a first day without spend accepted.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use counterfoil::api::wire::{Bucket, CostResult};
use counterfoil::frames::{CostFrame, cost_frame};
use counterfoil::model::forecast;
use counterfoil::model::forecast::{Coverage, Forecast};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

/// USD as a scale-12 mantissa.
fn usd(d: Decimal) -> i128 {
    counterfoil::money::to_mantissa(d).unwrap()
}

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn midnight(s: &str) -> DateTime<Utc> {
    day(s).and_hms_opt(0, 0, 0).unwrap().and_utc()
}

/// Daily spend by weekday: Mon 10, Tue 20, Wed 30, Thu 40, Fri 50, Sat 5, Sun 5 (USD; 160 a
/// week), one row a day over `[from, to)` except the days in `skip`.
fn series(from: &str, to: &str, skip: &[&str]) -> CostFrame {
    let per_weekday = [10, 20, 30, 40, 50, 5, 5];
    let (mut d, end) = (day(from), day(to));
    let mut buckets = Vec::new();
    while d < end {
        let wd = d.format("%u").to_string().parse::<usize>().unwrap() - 1;
        if !skip.contains(&d.to_string().as_str()) {
            let at = d.and_hms_opt(0, 0, 0).unwrap().and_utc();
            buckets.push(Bucket {
                starting_at: at,
                ending_at: at + Duration::days(1),
                results: vec![CostResult {
                    amount: Decimal::from(per_weekday[wd]) * dec!(100), // the API speaks cents
                    currency: "USD".into(),
                    workspace_id: Some("wrkspc_a".into()),
                    description: Some("line".into()),
                    cost_type: Some("code_execution".into()),
                    model: None,
                    service_tier: None,
                    token_type: None,
                    context_window: None,
                    inference_geo: None,
                    speed: None,
                }],
            });
        }
        d += Duration::days(1);
    }
    CostFrame::new(&cost_frame(&buckets).unwrap()).unwrap()
}

const TODAY: &str = "2026-11-25"; // a Wednesday

fn window(from: &str, to: &str) -> Coverage {
    Coverage { start: Some(midnight(from)), end: Some(midnight(to)), ..Coverage::default() }
}

fn run(c: &CostFrame, coverage: Coverage) -> Forecast {
    forecast(c, None, Some(usd(dec!(600))), day(TODAY), coverage).unwrap()
}

#[test]
fn an_unsettled_yesterday_is_provisional_apart_from_the_month_to_date() {
    // November 1–24 spent 515: four Sundays 20, four Mondays 40, four Tuesdays 80, three
    // Wednesdays 90, Thursdays 120, Fridays 150, Saturdays 15. Yesterday (Tuesday the 24th, 20)
    // is within the 24 h settle window: provisional 20, month to date 515 − 20 = 495.
    // Projected: the 24th and the six days left at their weekday means over the 28 settled days
    // before the 24th (Oct 27 – Nov 23): Tue 20 + Wed 30 + Thu 40 + Fri 50 + Sat 5 + Sun 5 +
    // Mon 10 = 160, so 495 + 160 = 655. Low 495 + 7 × 5 = 530, high 495 + 7 × 50 = 845.
    let c = series("2026-10-20", TODAY, &[]);
    let f = run(&c, Coverage::default()); // the frame's own range: Oct 20 to Nov 25
    assert_eq!(f.month, "2026-11");
    assert_eq!((f.month_to_date, f.provisional), (usd(dec!(495)), usd(dec!(20))));
    assert_eq!(f.projected, usd(dec!(655)));
    assert_eq!((f.low, f.high), (usd(dec!(530)), usd(dec!(845))));
    assert_eq!((f.days_elapsed, f.days_left, f.provisional_days), (24, 6, 1));
    assert_eq!((f.covered_from, f.covered_to), (day("2026-10-20"), day("2026-11-24")));
    assert_eq!(f.over_budget(), Some(true));
    assert!(f.exact);
    let t = f.to_json();
    assert_eq!((t["provisional_usd"].as_str(), t["month_to_date_usd"].as_str()), (Some("20"), Some("495")));
    // settle_hours = 0: every day before today is settled, the month to date is all 515;
    // projected 515 + (160 − 20) = 655, low 515 + 6 × 5 = 545, high 515 + 6 × 50 = 815.
    let f = run(&c, Coverage { settle_hours: 0, ..Coverage::default() });
    assert_eq!((f.month_to_date, f.provisional, f.provisional_days), (usd(dec!(515)), 0, 0));
    assert_eq!((f.projected, f.low, f.high), (usd(dec!(655)), usd(dec!(545)), usd(dec!(815))));
    // settle_hours = 48: Monday the 23rd (10) and the 24th (20) are provisional: 30 apart, month
    // to date 515 − 30 = 485; projected 485 + 10 + 160 = 655; low 485 + 8 × 5 = 525, high
    // 485 + 8 × 50 = 885.
    let f = run(&c, Coverage { settle_hours: 48, ..Coverage::default() });
    assert_eq!((f.month_to_date, f.provisional, f.provisional_days), (usd(dec!(485)), usd(dec!(30)), 2));
    assert_eq!((f.projected, f.low, f.high), (usd(dec!(655)), usd(dec!(525)), usd(dec!(885))));
}

#[test]
fn days_without_rows_inside_the_covered_window_spent_nothing() {
    // Tuesday the 10th (20) and Thursday the 12th (40) have no rows: $0. Month to date 495 − 20
    // − 40 = 435. The 28 settled days now hold Tuesdays 20 + 20 + 0 + 20 = 60 (mean 15) and
    // Thursdays 40 + 40 + 0 + 40 = 120 (mean 30), and a day of 0: projected 435 + (15 + 30 + 30
    // + 50 + 5 + 5 + 10 = 145) = 580, low 435 + 7 × 0 = 435, high 435 + 7 × 50 = 785.
    let c = series("2026-10-20", TODAY, &["2026-11-10", "2026-11-12"]);
    let f = run(&c, window("2026-10-20", TODAY));
    assert_eq!((f.month_to_date, f.provisional), (usd(dec!(435)), usd(dec!(20))));
    assert_eq!((f.projected, f.low, f.high), (usd(dec!(580)), usd(dec!(435)), usd(dec!(785))));
    assert!(f.exact, "4 × 145 = 580, divisible by four");
    // The window says the frame was fetched up to today: its silent last two days (Monday the
    // 23rd and the 24th) spent nothing. Month to date 435 − 10 = 425, provisional 0; Mondays
    // 10 + 10 + 10 + 0 = 30 (mean 7.5): projected 425 + (15 + 30 + 30 + 50 + 5 + 5 + 7.5 = 142.5) = 567.5.
    let c = series("2026-10-20", "2026-11-23", &["2026-11-10", "2026-11-12"]);
    let f = run(&c, window("2026-10-20", TODAY));
    assert_eq!((f.month_to_date, f.provisional), (usd(dec!(425)), 0));
    assert_eq!(f.projected, usd(dec!(567.5)));
    assert_eq!((f.low, f.high), (usd(dec!(425)), usd(dec!(775))), "425 + 7 × 0, 425 + 7 × 50");
    assert!(f.exact, "the four-day sum 570 divides by four at 12 decimals");
}

#[test]
fn a_frame_that_stops_eight_days_short_of_today_is_refused_naming_its_last_day() {
    // Data up to Monday the 16th; the last complete day before today is the 24th.
    let c = series("2026-10-20", "2026-11-17", &[]);
    for coverage in [Coverage::default(), window("2026-10-20", "2026-11-17")] {
        let e = forecast(&c, None, None, day(TODAY), coverage).unwrap_err();
        assert_eq!(e.exit_code(), 2, "{e}");
        let text = e.to_string();
        assert!(text.contains("up to 2026-11-16") && text.contains("today is 2026-11-25"), "{text}");
    }
    // A past month needs only its own days: October, whole in this frame, is what it was, and
    // all settled: 4 weeks × 160 + Thu 29th 40 + Fri 30th 50 + Sat 31st 5 = 735.
    let c = series("2026-09-25", "2026-11-17", &[]);
    let f = forecast(&c, Some(day("2026-10-01")), None, day(TODAY), Coverage::default()).unwrap();
    assert_eq!(
        (f.month_to_date, f.provisional, f.projected, f.low, f.high),
        (usd(dec!(735)), 0, usd(dec!(735)), usd(dec!(735)), usd(dec!(735)))
    );
    assert_eq!(f.days_left, 0);
    // A month that has not begun, and a frame starting after the first day needed, are refused.
    assert!(forecast(&c, Some(day("2027-01-01")), None, day(TODAY), Coverage::default()).is_err());
    let short = series("2026-11-10", TODAY, &[]);
    let e = forecast(&short, None, None, day(TODAY), Coverage::default()).unwrap_err();
    assert!(e.to_string().contains("the cost data starts 2026-11-10"), "{e}");
    assert!(counterfoil::model::forecast::parse_budget("lots").is_err());
}

#[test]
fn a_first_day_without_spend_inside_the_window_is_accepted() {
    // The forecast needs Oct 27 on (the 28 settled days before the 24th); the frame's first row
    // is Oct 28, but the window it was fetched for starts Oct 27: that Tuesday spent $0.
    // Tuesdays 0 + 20 + 20 + 20 = 60, mean 15: projected 495 + (15 + 30 + 40 + 50 + 5 + 5 + 10
    // = 155) = 650; low 495 + 7 × 0 = 495, high 495 + 7 × 50 = 845.
    let c = series("2026-10-28", TODAY, &[]);
    let f = run(&c, window("2026-10-27", TODAY));
    assert_eq!((f.month_to_date, f.provisional), (usd(dec!(495)), usd(dec!(20))));
    assert_eq!((f.projected, f.low, f.high), (usd(dec!(650)), usd(dec!(495)), usd(dec!(845))));
    // Without the window, the frame's own range starts Oct 28: one day short, refused.
    let e = forecast(&c, None, None, day(TODAY), Coverage::default()).unwrap_err();
    assert!(e.to_string().contains("needs the cost from 2026-10-27"), "{e}");
}
